import type { ConditionLike } from "./conditions.js";
import type { RecordedEvent } from "./event-recorder.js";
import type { KubeObject } from "./kube-types.js";
import type { Status } from "./status-patcher.js";

/**
 * The six error classes the managed reconciler acts on; the adapter maps its service's errors
 * into them (`ManagedAdapter.classify`), once, in one place.
 * - invalidSpec: the service rejected the spec → Synced=False/InvalidSpec, no retry until the spec or an input changes
 * - dependency: something the object needs is missing or not usable yet (not the spec's fault) →
 *   Ready=False/DependencyNotReady, a slow retry, and at once when a watched dependency changes
 * - unauthorized: credentials refused → Synced=False/Unauthorized, slow retry
 * - notFound: the remote object is gone → create again (drift); on delete it means success
 * - conflict: a concurrent change → silent retry with backoff
 * - transient: anything else → Synced=False/ReconcileError, per-key exponential backoff
 */
export type ErrorClass = "invalidSpec" | "dependency" | "unauthorized" | "notFound" | "conflict" | "transient";

/**
 * "Not yet, and not an error": the pass stops, Ready=False with `reason`, and the object is
 * looked at again after `pollAfterMs` (or the fast not-ready poll). `stalled` says only a human
 * can move it on (kstatus Stalled), e.g. awaiting an OAuth consent or a rejected credential.
 */
export interface Waiting {
  reason: string;
  message: string;
  stalled?: boolean;
  pollAfterMs?: number;
}

/** What a sub-step reports: status fields and conditions it owns, events, and whether the pass must wait. */
export interface StepOutcome {
  status?: Status;
  conditions?: ConditionLike[];
  events?: RecordedEvent[];
  wait?: Waiting;
  /** look at the object again this soon (e.g. to refresh a token before it expires) */
  pollAfterMs?: number;
}

/**
 * A secondary remote object that the main one needs first (a source's credential), handled in
 * order before observe. Its outputs reach the main client through the client that built it
 * (both are made per reconcile by the same `connect`). Never run for ObserveOnly objects.
 */
export interface SubStep<T extends ManagedObject> {
  /** a noun for messages and metrics, e.g. "credential" */
  name: string;
  /** observes and creates/updates/replaces the secondary object; throws classified errors */
  ensure(obj: T): Promise<StepOutcome>;
  /** runs once the main object is up to date (e.g. deletes a credential the source no longer uses) */
  afterSync?(obj: T): Promise<StepOutcome | undefined>;
  /** on deletion with policy Delete, after the main object is gone */
  cleanup?(obj: T): Promise<void>;
}

/**
 * Something done once per new requested value (an annotation such as requested-discovery-at),
 * the value then recorded as handled in status (Flux's requestedAt convention). Exactly once
 * across restarts: `run` gets a request id derived from the object's uid, the action and the
 * value, so a repeat after a lost status write is a replay at the service.
 */
export interface Action<T extends ManagedObject> {
  name: string;
  /** the requested value, undefined when nothing is requested */
  requested(obj: T): string | undefined;
  /** the value handled last, as recorded in status */
  handled(obj: T): string | undefined;
  /** runs the action for `value`; the returned status must record `value` as handled */
  run(obj: T, ctx: { value: string; requestId: string }): Promise<{ status: Status; event?: RecordedEvent; pollAfterMs?: number }>;
}

/**
 * A custom resource the managed reconciler can drive. `status` is any object (generated status
 * interfaces have no index signature); the reconciler reads it as a `Status` record.
 */
export interface ManagedObject extends KubeObject {
  status?: object;
}

/** What `observe` found out. Observe answers questions; the reconciler decides what to do. */
export interface ExternalObservation {
  /** the remote object exists */
  exists: boolean;
  /** it matches the spec (ignored when it does not exist) */
  upToDate: boolean;
  /** the remote id, when observe found the object (by recorded id, spec.externalId or owner labels); recorded in status by the reconciler */
  externalId?: string;
  /** adapter-owned status fields, merged over the current status (a field set to `undefined` is removed) */
  status?: Status;
  /** the Ready condition; Ready=True/Available when it exists and this is omitted */
  ready?: ConditionLike;
  /** further adapter-owned conditions (e.g. CredentialReady) */
  conditions?: ConditionLike[];
  /** observe again this soon instead of the poll interval (e.g. while a run is active) */
  pollAfterMs?: number;
  /** events to emit (deduplicated by the recorder), e.g. a Warning for a failed remote job */
  events?: RecordedEvent[];
}

/** What the reconciler knows that observe may use. */
export interface ObserveContext {
  /**
   * The object had no finalizer when the pass began. The finalizer is written before the first
   * create, so no create was ever attempted and a lookup by owner labels cannot find anything:
   * skip it (one read less per new object). False on every later pass, so crash safety is kept.
   */
  neverCreated: boolean;
}

/** Passed to `create` so a retried create is recognised by the service (AIP-155 `request_id`). */
export interface CreateContext {
  /** a UUID derived from the object's uid (and the id of a lost predecessor): the same on every retry of this create */
  requestId: string;
}

/** The answer of a create. */
export interface ExternalCreation {
  externalId: string;
  status?: Status;
  /**
   * The Ready condition, when the create answer already tells it (the service answered with an
   * active object): the pass ends as an observe would have ended it, and no read follows the
   * create. When omitted the object is Ready=False/Creating and observed again shortly.
   */
  ready?: ConditionLike;
  /** further adapter-owned conditions the answer tells (e.g. PipelineBound); used with `ready` */
  conditions?: ConditionLike[];
  /** look at the object again this soon instead of the poll interval (e.g. a run it started is active); used with `ready` */
  pollAfterMs?: number;
  /** events the answer calls for besides Created (e.g. a Warning that the pipeline is already gone); used with `ready` */
  events?: RecordedEvent[];
}

/** The answer of an update. */
export interface ExternalUpdate {
  status?: Status;
}

/**
 * A client for one remote object kind, built per reconcile by a `Connector` with the right
 * credentials. Every call must be idempotent.
 *
 * Crash-safety contract (no duplicate remote objects):
 * - `create` must pass `ctx.requestId` to the service as its idempotency key, so a create
 *   whose answer was lost and is retried returns the object created the first time;
 * - `create` must label the remote object with its owner (uid, namespace, name), and
 *   `observe` must, when no id is recorded (`getExternalId` empty) or the recorded id is not
 *   found, look the object up by those labels and return its `externalId`, so a create whose
 *   answer was lost together with the status write is adopted on the next pass instead of
 *   created again. Report `exists: false` only when neither finds it.
 */
export interface ExternalClient<T extends ManagedObject> {
  /** Finds the remote object (recorded id, else spec.externalId, else owner labels). A missing object is `exists: false`, not an error. */
  observe(obj: T, ctx?: ObserveContext): Promise<ExternalObservation>;
  /** Creates the remote object; see the crash-safety contract above. */
  create(obj: T, ctx: CreateContext): Promise<ExternalCreation>;
  /** Makes the remote object match the spec. */
  update(obj: T): Promise<ExternalUpdate>;
  /** Deletes the remote object; a missing object may throw a notFound-class error (it counts as success). */
  delete(obj: T): Promise<void>;
  /** secondary objects handled before observe, in order */
  steps?: SubStep<T>[];
  /** once-per-value actions run after the object is observed in sync */
  actions?: Action<T>[];
}

/** Builds an `ExternalClient` with the credentials that apply to `obj` (its connection Secret, else the operator default). */
export interface Connector<T extends ManagedObject> {
  connect(obj: T): Promise<ExternalClient<T>>;
}

/** The outcome of resolving an object's references to other objects. */
export type ReferenceResolution = { ready: true } | { ready: false; message: string };

/** How the remote object is managed: `ObserveOnly` never creates, updates or deletes. */
export type ManagementPolicy = "Full" | "ObserveOnly";

/** What deleting the resource does remotely: `Orphan` leaves the remote object alone. */
export type DeletionPolicy = "Delete" | "Orphan";

/** Everything the managed reconciler needs to know about one kind; written once per kind. */
export interface ManagedAdapter<T extends ManagedObject> {
  connector: Connector<T>;
  /** Maps any error thrown by `connect`, `resolveReferences` or the client into an `ErrorClass`. */
  classify(err: unknown): ErrorClass;
  /** The remote id recorded in status by an earlier create or adoption. */
  getExternalId(obj: T): string | undefined;
  /** The status fields that record remote id `id`, e.g. `{ pipelineId: id }`. */
  setExternalId(id: string): Status;
  /** The id the user asked to adopt (`spec.externalId`); such an object is never created. Defaults to none. */
  getSpecExternalId?(obj: T): string | undefined;
  /** Resolves references before observe; not ready → Ready=False/DependencyNotReady and a later retry. */
  resolveReferences?(obj: T): Promise<ReferenceResolution>;
  /** Defaults to `spec.managementPolicy`, else Full. */
  managementPolicy?(obj: T): ManagementPolicy;
  /** Defaults to `spec.deletionPolicy`, else Delete. */
  deletionPolicy?(obj: T): DeletionPolicy;
  /**
   * A version of the inputs the spec is judged with besides the spec itself (a referenced
   * Secret's resourceVersion, resolved ids): a rejected spec is retried as soon as it changes.
   */
  inputsVersion?(obj: T): string;
  /**
   * A short, stable summary of an error for conditions and events (a step and a code, not the
   * changing detail text, which goes to the log); the error's message, bounded, unless given.
   */
  summarize?(err: unknown, cls: ErrorClass): string;
}

/** What the controller does with a key after a reconcile. */
export type ReconcileResult =
  /** nothing more until the next watch event or resync */
  | { kind: "done" }
  /** reconcile again after `ms` (the per-key backoff is reset) */
  | { kind: "requeueAfter"; ms: number }
  /** reconcile again after the per-key exponential backoff; `error` is logged, a missing one means a silent retry (conflict) */
  | { kind: "backoff"; error?: Error };
