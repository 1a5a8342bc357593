import { annotations, finalizer } from "../api/keys.js";
import {
  Controller,
  Informer,
  keyOf,
  ManagedReconciler,
  newObjectWriter,
  secondaryWatch,
  type EventRecorder,
  type KubeClient,
  type KubeObject,
  type Logger,
  type ManagedAdapter,
  type ManagedObject,
  type OperatorMetrics,
  type ResourceType,
} from "../runtime/index.js";

/** What every controller of the operator is built from. */
export interface ControllerDeps {
  kube: KubeClient;
  /** Shared Secret cache; a change to a Secret reconciles the objects that reference it. */
  secrets: Informer<KubeObject>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  namespaces: string[];
  workers: number;
  resyncPeriodMs: number;
  /** drift poll of a settled object (the managed reconciler's poll interval) */
  pollIntervalMs?: number;
}

/** A managed kind: its resource type, adapter, and the Secrets each object references. */
export interface ManagedKind<T extends ManagedObject> {
  resource: ResourceType;
  adapter: ManagedAdapter<T>;
  /** names of Secrets in the object's namespace it depends on (connection, credentials) */
  secretNames(obj: T): string[];
}

/** Builds the controller of one managed kind: informer → queue → managed reconciler, plus Secret watches. */
export function newManagedController<T extends ManagedObject>(kind: ManagedKind<T>, deps: ControllerDeps): Controller<T> {
  const name = kind.resource.kind.toLowerCase();
  const logger = deps.logger.child({ controller: name });
  const informer = new Informer<T>({ kube: deps.kube, resource: kind.resource, namespaces: deps.namespaces, logger });
  const reconciler = new ManagedReconciler<T>({
    adapter: kind.adapter,
    writer: newObjectWriter<T>(deps.kube, kind.resource),
    finalizer,
    pausedAnnotation: annotations.paused,
    events: deps.events,
    logger,
    metrics: deps.metrics.reconciler(kind.resource.kind),
    pollIntervalMs: deps.pollIntervalMs,
  });
  deps.metrics.trackResources(kind.resource.kind, () => informer.list());
  const usersOf = (secret: KubeObject): string[] =>
    informer
      .list()
      .filter((obj) => obj.metadata?.namespace === secret.metadata?.namespace && kind.secretNames(obj).includes(secret.metadata?.name ?? ""))
      .map((obj) => keyOf(obj.metadata?.namespace, obj.metadata?.name ?? ""));
  return new Controller<T>({
    name,
    informer,
    reconciler,
    secondary: [secondaryWatch({ informer: deps.secrets, map: usersOf, updated: (a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion })],
    workers: deps.workers,
    resyncPeriodMs: deps.resyncPeriodMs,
    queue: { metrics: deps.metrics.queue(name) },
    metrics: deps.metrics.controller(name),
    logger: deps.logger,
  });
}
