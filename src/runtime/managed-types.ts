import type { ConditionLike } from "./conditions.js";
import type { KubeObject } from "./kube-types.js";
import type { Status } from "./status-patcher.js";

/**
 * The five error classes the managed reconciler acts on; the adapter maps its service's errors
 * into them (`ManagedAdapter.classify`), once, in one place.
 * - invalidSpec: the service rejected the spec → Synced=False/InvalidSpec, no retry until the spec changes
 * - unauthorized: credentials refused → Synced=False/Unauthorized, slow retry
 * - notFound: the remote object is gone → create again (drift); on delete it means success
 * - conflict: a concurrent change → silent retry with backoff
 * - transient: anything else → Synced=False/ReconcileError, per-key exponential backoff
 */
export type ErrorClass = "invalidSpec" | "unauthorized" | "notFound" | "conflict" | "transient";

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
  observe(obj: T): Promise<ExternalObservation>;
  /** Creates the remote object; see the crash-safety contract above. */
  create(obj: T, ctx: CreateContext): Promise<ExternalCreation>;
  /** Makes the remote object match the spec. */
  update(obj: T): Promise<ExternalUpdate>;
  /** Deletes the remote object; a missing object may throw a notFound-class error (it counts as success). */
  delete(obj: T): Promise<void>;
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
}

/** What the controller does with a key after a reconcile. */
export type ReconcileResult =
  /** nothing more until the next watch event or resync */
  | { kind: "done" }
  /** reconcile again after `ms` (the per-key backoff is reset) */
  | { kind: "requeueAfter"; ms: number }
  /** reconcile again after the per-key exponential backoff; `error` is logged, a missing one means a silent retry (conflict) */
  | { kind: "backoff"; error?: Error };
