import { type Random, withJitter } from "./backoff.js";
import {
  available,
  type ConditionLike,
  ConditionType,
  creating,
  deleting,
  dependencyNotReady,
  getCondition,
  notFound,
  Reason,
  reconcileError,
  reconcileInvalidSpec,
  reconcilePaused,
  reconcileSuccess,
  reconcileUnauthorized,
  setCondition,
  type Condition,
} from "./conditions.js";
import { type EventRecorder, noopEventRecorder, type RecordedEvent } from "./event-recorder.js";
import { isConflict, isNotFound, KubeApiError } from "./kube-errors.js";
import { objectKey } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import type {
  DeletionPolicy,
  ErrorClass,
  ExternalClient,
  ExternalObservation,
  ManagedAdapter,
  ManagedObject,
  ManagementPolicy,
  ReconcileResult,
} from "./managed-types.js";
import { createRequestId } from "./request-id.js";
import { type ObjectWriter, type Status, statusOf } from "./status-patcher.js";

/** Hooks the reconciler reports to (see metrics.ts). */
export interface ManagedReconcilerMetrics {
  /** an external call ended; `outcome` is `ok` or the error class */
  externalCall?(operation: Stage, outcome: "ok" | ErrorClass, seconds: number): void;
  /** the object's Ready condition turned True, `seconds` after the object was created */
  becameReady?(seconds: number): void;
}

/** Options of a `ManagedReconciler`; key names come from the caller so the runtime stays generic. */
export interface ManagedReconcilerOptions<T extends ManagedObject> {
  adapter: ManagedAdapter<T>;
  writer: ObjectWriter<T>;
  /** finalizer added before the first create and removed once the remote object is gone */
  finalizer: string;
  /** annotation that, set to "true", stops all reconciling (including deletion) */
  pausedAnnotation: string;
  events?: EventRecorder;
  logger?: Logger;
  metrics?: ManagedReconcilerMetrics;
  /** drift-detection poll of a settled object; 5 min unless given */
  pollIntervalMs?: number;
  /** observe again this soon after a create or a delete that is not finished yet; 2 s unless given */
  afterChangeMs?: number;
  /** retry while references are not ready; 30 s unless given */
  dependencyRetryMs?: number;
  /** how long a spec the service rejected (invalidSpec) is left alone unless its generation changes; 1 h unless given */
  invalidSpecRetryMs?: number;
  /** retry after credentials were refused; 2 min unless given */
  unauthorizedRetryMs?: number;
  /** ± fraction applied to every requeue delay; 0.1 unless given */
  jitter?: number;
  random?: Random;
  now?: () => Date;
}

/** The steps that can fail, named in condition messages, events and metrics. */
export type Stage = "finalizer" | "references" | "connect" | "observe" | "create" | "update" | "delete";

const stageText: Record<Stage, { verb: string; reason: string }> = {
  finalizer: { verb: "update the finalizer", reason: "CannotUpdateFinalizer" },
  references: { verb: "resolve references", reason: "CannotResolveReferences" },
  connect: { verb: "connect to the external service", reason: "CannotConnect" },
  observe: { verb: "observe the external object", reason: "CannotObserve" },
  create: { verb: "create the external object", reason: "CannotCreate" },
  update: { verb: "update the external object", reason: "CannotUpdate" },
  delete: { verb: "delete the external object", reason: "CannotDelete" },
};

const done: ReconcileResult = { kind: "done" };

/** The state of one reconcile pass: the object, the status being computed, and what to announce. */
class Pass<T extends ManagedObject> {
  readonly status: Status;
  readonly events: RecordedEvent[] = [];
  stage: Stage = "observe";
  /** set when the status must not be written (silent retries, the object is going away) */
  skipStatus = false;

  constructor(
    public obj: T,
    private readonly now: () => Date,
  ) {
    this.status = { ...(statusOf(obj) ?? {}) };
  }

  set(cond: ConditionLike): void {
    const generation = this.obj.metadata?.generation;
    this.status.conditions = setCondition(this.status.conditions as Condition[] | undefined, cond, { generation, now: this.now });
  }

  merge(fields: Status | undefined): void {
    Object.assign(this.status, fields);
  }

  event(type: RecordedEvent["type"], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
}

/**
 * The generic managed-resource reconciler (crossplane-runtime's, as a short orchestrator):
 * paused? → deletion → finalizer → references → connect → observe → create | update | nothing,
 * then conditions and one status write if anything changed. Errors take one path, classified by
 * the adapter. Level-based: it is given the latest object and converges it.
 */
export class ManagedReconciler<T extends ManagedObject> {
  private readonly adapter: ManagedAdapter<T>;
  private readonly events: EventRecorder;
  private readonly logger: Logger;
  private readonly now: () => Date;
  /**
   * Specs the service rejected, by uid: the rejected generation and until when it is left alone.
   * Without this every periodic resync would repeat the same failing call (quiet steady state).
   */
  private readonly rejected = new Map<string, { generation: number | undefined; until: number }>();

  constructor(private readonly options: ManagedReconcilerOptions<T>) {
    this.adapter = options.adapter;
    this.events = options.events ?? noopEventRecorder;
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Reconciles `obj` once and says when to come back. Never throws. */
  async reconcile(obj: T): Promise<ReconcileResult> {
    const pass = new Pass(obj, this.now);
    let result: ReconcileResult;
    try {
      result = await this.run(pass);
    } catch (err) {
      result = this.onError(pass, err);
    }
    return this.finish(pass, result);
  }

  private async run(pass: Pass<T>): Promise<ReconcileResult> {
    if (pass.obj.metadata?.annotations?.[this.options.pausedAnnotation] === "true") return this.paused(pass);
    if (pass.obj.metadata?.deletionTimestamp) return this.handleDeletion(pass);
    if (this.heldAsInvalid(pass.obj)) {
      pass.skipStatus = true;
      return done;
    }
    if (this.managementPolicy(pass.obj) === "Full") await this.ensureFinalizer(pass);
    const refs = await this.resolveReferences(pass);
    if (refs) return refs;
    const client = await this.connect(pass);
    const observed = await this.observe(pass, client);
    if (!observed.exists) return this.handleMissing(pass, client);
    if (!observed.upToDate && this.managementPolicy(pass.obj) === "Full") return this.update(pass, client, observed);
    pass.set(observed.ready ?? available());
    pass.set(reconcileSuccess());
    return this.requeue(observed.pollAfterMs ?? this.options.pollIntervalMs ?? 300_000);
  }

  /** True while this generation of `obj` was rejected as invalid and the hold has not expired. */
  private heldAsInvalid(obj: T): boolean {
    const uid = obj.metadata?.uid;
    const held = uid ? this.rejected.get(uid) : undefined;
    if (!uid || !held) return false;
    if (held.generation === obj.metadata?.generation && this.now().getTime() < held.until) return true;
    this.rejected.delete(uid);
    return false;
  }

  private paused(pass: Pass<T>): ReconcileResult {
    const wasPaused = getCondition(statusOf(pass.obj)?.conditions as Condition[] | undefined, ConditionType.Synced)?.reason === Reason.Paused;
    pass.set(reconcilePaused());
    if (!wasPaused) pass.event("Normal", "Paused", "reconciliation is paused; no external calls until the annotation is removed");
    return done;
  }

  private async handleDeletion(pass: Pass<T>): Promise<ReconcileResult> {
    if (!pass.obj.metadata?.finalizers?.includes(this.options.finalizer)) {
      pass.skipStatus = true;
      return done;
    }
    if (this.managementPolicy(pass.obj) === "ObserveOnly" || this.deletionPolicy(pass.obj) === "Orphan") return this.releaseFinalizer(pass);
    const client = await this.connect(pass);
    // Never created (or already gone): nothing to delete, so the finalizer must not hold the object.
    if (!(await this.observe(pass, client)).exists) return this.releaseFinalizer(pass);
    await this.call(pass, "delete", () => client.delete(pass.obj)).catch((err: unknown) => {
      if (this.classify(err) !== "notFound") throw err;
    });
    pass.event("Normal", "Deleted", "deleted the external object");
    const after = await this.observe(pass, client);
    if (!after.exists) return this.releaseFinalizer(pass);
    pass.set(deleting());
    pass.set(reconcileSuccess());
    return this.requeue(after.pollAfterMs ?? this.options.afterChangeMs ?? 2_000);
  }

  private async releaseFinalizer(pass: Pass<T>): Promise<ReconcileResult> {
    if (pass.obj.metadata?.uid) this.rejected.delete(pass.obj.metadata.uid);
    pass.stage = "finalizer";
    pass.obj = await this.options.writer.removeFinalizer(pass.obj, this.options.finalizer);
    // The object is about to disappear; a status write would only race with that.
    pass.skipStatus = true;
    return done;
  }

  private async ensureFinalizer(pass: Pass<T>): Promise<void> {
    pass.stage = "finalizer";
    pass.obj = await this.options.writer.addFinalizer(pass.obj, this.options.finalizer);
  }

  private async resolveReferences(pass: Pass<T>): Promise<ReconcileResult | undefined> {
    if (!this.adapter.resolveReferences) return undefined;
    pass.stage = "references";
    const resolution = await this.adapter.resolveReferences(pass.obj);
    if (resolution.ready) return undefined;
    pass.set(dependencyNotReady(resolution.message));
    pass.set(reconcileSuccess());
    return this.requeue(this.options.dependencyRetryMs ?? 30_000);
  }

  private connect(pass: Pass<T>): Promise<ExternalClient<T>> {
    return this.call(pass, "connect", () => this.adapter.connector.connect(pass.obj));
  }

  /** Observes and takes in what the adapter reports; a notFound-class error means the object does not exist. */
  private async observe(pass: Pass<T>, client: ExternalClient<T>): Promise<ExternalObservation> {
    const observed = await this.call(pass, "observe", () => client.observe(pass.obj)).catch((err: unknown): ExternalObservation => {
      if (this.classify(err) === "notFound") return { exists: false, upToDate: false };
      throw err;
    });
    pass.merge(observed.status);
    for (const cond of observed.conditions ?? []) pass.set(cond);
    if (observed.externalId && observed.externalId !== this.adapter.getExternalId(pass.obj)) {
      pass.merge(this.adapter.setExternalId(observed.externalId));
    }
    return observed;
  }

  private async handleMissing(pass: Pass<T>, client: ExternalClient<T>): Promise<ReconcileResult> {
    const adopting = this.adapter.getSpecExternalId?.(pass.obj);
    if (this.managementPolicy(pass.obj) === "ObserveOnly" || adopting) {
      // We were asked to observe or adopt an existing object; creating a different one would be wrong.
      pass.set(notFound(adopting ? `external object ${adopting} does not exist` : "the external object does not exist"));
      pass.set(reconcileSuccess());
      return this.requeue(this.options.pollIntervalMs ?? 300_000);
    }
    return this.create(pass, client);
  }

  private async create(pass: Pass<T>, client: ExternalClient<T>): Promise<ReconcileResult> {
    const requestId = createRequestId(pass.obj.metadata?.uid ?? objectKey(pass.obj), this.adapter.getExternalId(pass.obj));
    const created = await this.call(pass, "create", () => client.create(pass.obj, { requestId }));
    pass.merge(created.status);
    pass.merge(this.adapter.setExternalId(created.externalId));
    pass.set(creating());
    pass.set(reconcileSuccess());
    pass.event("Normal", "Created", `created external object ${created.externalId}`);
    this.logger.info({ key: objectKey(pass.obj), externalId: created.externalId }, "created external object");
    return this.requeue(this.options.afterChangeMs ?? 2_000);
  }

  private async update(pass: Pass<T>, client: ExternalClient<T>, observed: ExternalObservation): Promise<ReconcileResult> {
    const updated = await this.call(pass, "update", () => client.update(pass.obj));
    pass.merge(updated.status);
    pass.set(observed.ready ?? available());
    pass.set(reconcileSuccess());
    pass.event("Normal", "Updated", "updated the external object");
    this.logger.info({ key: objectKey(pass.obj) }, "updated external object");
    // The poll interval, not a quick recheck: an adapter whose upToDate never settles must not update in a hot loop.
    return this.requeue(observed.pollAfterMs ?? this.options.pollIntervalMs ?? 300_000);
  }

  /** The one error path: classify, then say so in Synced and an event, and pick the retry. */
  private onError(pass: Pass<T>, err: unknown): ReconcileResult {
    const cls = this.classify(err);
    const { verb, reason } = stageText[pass.stage];
    const message = `cannot ${verb}: ${err instanceof Error ? err.message : String(err)}`;
    const key = objectKey(pass.obj);
    switch (cls) {
      case "conflict":
        // A concurrent change: retry quietly, the next pass sees the truth.
        pass.skipStatus = true;
        return { kind: "backoff" };
      case "notFound":
        if (err instanceof KubeApiError || pass.stage === "update") {
          // Our own object is gone (done), or drift noticed mid-update (the next pass observes it missing and creates it again).
          pass.skipStatus = true;
          return err instanceof KubeApiError ? done : { kind: "backoff" };
        }
        return this.onTransient(pass, err, message);
      case "invalidSpec":
        this.logger.warn({ key, ...errorFields(err) }, "invalid spec; waiting for a spec change");
        pass.set(reconcileInvalidSpec(message));
        pass.event("Warning", reason, message);
        if (pass.obj.metadata?.uid) {
          const until = this.now().getTime() + (this.options.invalidSpecRetryMs ?? 3_600_000);
          this.rejected.set(pass.obj.metadata.uid, { generation: pass.obj.metadata.generation, until });
        }
        return done;
      case "unauthorized":
        this.logger.warn({ key, ...errorFields(err) }, "unauthorized; retrying slowly");
        pass.set(reconcileUnauthorized(message));
        pass.event("Warning", reason, message);
        return this.requeue(this.options.unauthorizedRetryMs ?? 120_000);
      case "transient":
        return this.onTransient(pass, err, message);
    }
  }

  private onTransient(pass: Pass<T>, err: unknown, message: string): ReconcileResult {
    this.logger.warn({ key: objectKey(pass.obj), ...errorFields(err) }, "reconcile failed; retrying with backoff");
    pass.set(reconcileError(message));
    pass.event("Warning", stageText[pass.stage].reason, message);
    return { kind: "backoff", error: err instanceof Error ? err : new Error(message) };
  }

  /** Writes the status if it changed, announces events, reports readiness. */
  private async finish(pass: Pass<T>, result: ReconcileResult): Promise<ReconcileResult> {
    for (const event of pass.events) this.events.record(pass.obj, event);
    if (pass.skipStatus) return result;
    pass.status.observedGeneration = pass.obj.metadata?.generation;
    try {
      await this.options.writer.patchStatus(pass.obj, pass.status);
    } catch (err) {
      if (isNotFound(err)) return done;
      if (isConflict(err)) return { kind: "backoff" };
      return { kind: "backoff", error: new Error(`cannot write status of ${objectKey(pass.obj)}`, { cause: err }) };
    }
    this.reportReady(pass);
    return result;
  }

  private reportReady(pass: Pass<T>): void {
    const before = getCondition(statusOf(pass.obj)?.conditions as Condition[] | undefined, ConditionType.Ready);
    const after = getCondition(pass.status.conditions as Condition[] | undefined, ConditionType.Ready);
    const created = pass.obj.metadata?.creationTimestamp;
    if (after?.status === "True" && before?.status !== "True" && created) {
      this.options.metrics?.becameReady?.((this.now().getTime() - Date.parse(created)) / 1000);
    }
  }

  private async call<R>(pass: Pass<T>, stage: Stage, fn: () => Promise<R>): Promise<R> {
    pass.stage = stage;
    const started = performance.now();
    try {
      const out = await fn();
      this.options.metrics?.externalCall?.(stage, "ok", (performance.now() - started) / 1000);
      return out;
    } catch (err) {
      this.options.metrics?.externalCall?.(stage, this.classify(err), (performance.now() - started) / 1000);
      throw err;
    }
  }

  /** Apiserver answers (our own writes) are classified here; everything else by the adapter. */
  private classify(err: unknown): ErrorClass {
    if (err instanceof KubeApiError) return isConflict(err) ? "conflict" : isNotFound(err) ? "notFound" : "transient";
    return this.adapter.classify(err);
  }

  private requeue(ms: number): ReconcileResult {
    return { kind: "requeueAfter", ms: withJitter(ms, this.options.jitter ?? 0.1, this.options.random) };
  }

  private managementPolicy(obj: T): ManagementPolicy {
    return this.adapter.managementPolicy?.(obj) ?? (specField(obj, "managementPolicy") === "ObserveOnly" ? "ObserveOnly" : "Full");
  }

  private deletionPolicy(obj: T): DeletionPolicy {
    return this.adapter.deletionPolicy?.(obj) ?? (specField(obj, "deletionPolicy") === "Orphan" ? "Orphan" : "Delete");
  }
}

function specField(obj: ManagedObject, field: string): unknown {
  const spec = (obj as { spec?: Record<string, unknown> }).spec;
  return spec?.[field];
}
