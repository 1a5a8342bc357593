import { annotations, finalizer } from "../api/keys.js";
import { reasons } from "../api/conditions.js";
import {
  Controller,
  keyOf,
  ManagedReconciler,
  newNamespaceLifecycle,
  newObjectWriter,
  type EventRecorder,
  type KubeClient,
  type KubeObject,
  type Logger,
  type ManagedAdapter,
  type ManagedObject,
  type Manager,
  type OperatorMetrics,
  type ResourceType,
  type SecretStore,
  type Watch,
} from "../runtime/index.js";

/** What every controller of the operator is built from. */
export interface ControllerDeps {
  kube: KubeClient;
  /** owns the shared informers (one per resource type) and starts the controllers */
  manager: Manager;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Secrets: watched metadata-only, data read on demand for the Secrets objects reference */
  secrets: SecretStore;
  workers: number;
  resyncPeriodMs: number;
  /** drift poll of a settled object (the managed reconciler's poll interval) */
  pollIntervalMs?: number;
  /** appended to "not found" of a reference: where the caches looked (a shard's objects); empty unless given */
  lookedIn?: string;
}

/** Another kind an object names in its own namespace (a rule's source and pipeline); a change to it reconciles the object. */
export interface KindReference<T> {
  resource: ResourceType;
  names(obj: T): string[];
}

/** A managed kind: its resource type, adapter, and what each object references. */
export interface ManagedKind<T extends ManagedObject> {
  resource: ResourceType;
  adapter: ManagedAdapter<T>;
  /** names of Secrets in the object's namespace it depends on (connection, credentials) */
  secretNames(obj: T): string[];
  /** objects of other kinds it depends on */
  references?: KindReference<T>[];
  /** objects of other kinds that name objects of this kind (a job naming its rule): their changes reconcile the named object */
  namedBy?: { resource: ResourceType; owners(obj: KubeObject): string[] }[];
}

/** Index of a kind's informer: the `namespace/name` keys of the Secrets each object references. */
export const secretIndex = "secrets";

/** Index of a kind's informer: the `namespace/name` keys of the objects of `resource` each object references. */
export function referenceIndex(resource: ResourceType): string {
  return `ref:${resource.plural}`;
}

/** Keys in `obj`'s namespace for `names`. */
function sameNamespace(obj: KubeObject, names: string[]): string[] {
  return names.filter(Boolean).map((name) => keyOf(obj.metadata?.namespace, name));
}

/** Only a new resourceVersion is a change (a relist repeats unchanged objects). */
const changed = (a: KubeObject, b: KubeObject): boolean => a.metadata?.resourceVersion !== b.metadata?.resourceVersion;

/** Builds the controller of one managed kind: shared informer → queue → managed reconciler, plus watches declared as indexes. */
export function newManagedController<T extends ManagedObject>(kind: ManagedKind<T>, deps: ControllerDeps): Controller<T> {
  const name = kind.resource.kind.toLowerCase();
  const logger = deps.logger.child({ controller: name });
  const informer = deps.manager.informerFor<T>(kind.resource);
  const secretKeys = (obj: T): string[] => sameNamespace(obj, kind.secretNames(obj));
  informer.addIndex(secretIndex, secretKeys);
  deps.secrets.addReferrer({ informer, index: secretIndex, keysOf: secretKeys });
  const watches: Watch[] = [{ informer: deps.secrets.informer, index: secretIndex, updated: changed }];
  for (const ref of kind.references ?? []) {
    informer.addIndex(referenceIndex(ref.resource), (obj) => sameNamespace(obj, ref.names(obj)));
    watches.push({ informer: deps.manager.informerFor(ref.resource), index: referenceIndex(ref.resource), updated: changed });
  }
  for (const other of kind.namedBy ?? []) watches.push({ informer: deps.manager.informerFor(other.resource), owners: (obj) => other.owners(obj), updated: changed });
  const namespaces = newNamespaceLifecycle(deps.kube);
  const reconciler = new ManagedReconciler<T>({
    adapter: kind.adapter,
    writer: newObjectWriter<T>(deps.kube, kind.resource),
    finalizer,
    pausedAnnotation: annotations.paused,
    events: deps.events,
    logger,
    metrics: deps.metrics.reconciler(kind.resource.kind),
    pollIntervalMs: deps.pollIntervalMs,
    // Sub-steps say themselves when they wait for a person; a deleted pipeline is reported by observe.
    stalledReasons: [reasons.pipelineDeleted],
    namespaceTerminating: (ns) => namespaces.terminating(ns),
  });
  deps.metrics.trackResources(kind.resource.kind, () => informer.list());
  return new Controller<T>({
    name,
    informer,
    reconciler,
    watches,
    finalizer,
    sharedInformers: true,
    workers: deps.workers,
    resyncPeriodMs: deps.resyncPeriodMs,
    queue: { metrics: deps.metrics.queue(name) },
    metrics: deps.metrics.controller(name),
    logger: deps.logger,
  });
}
