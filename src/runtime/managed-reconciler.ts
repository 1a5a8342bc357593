import { type Random, withJitter } from "./backoff.js";
import {
  available,
  bounded,
  setKstatus,
  type ConditionLike,
  ConditionType,
  creating,
  deleting,
  dependencyNotReady,
  getCondition,
  notFound,
  Reason,
  reconcileDependency,
  reconcileError,
  reconcileInvalidSpec,
  waiting,
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
  Action,
  DeletionPolicy,
  ErrorClass,
  ExternalClient,
  ExternalObservation,
  ManagedAdapter,
  ManagedObject,
  ManagementPolicy,
  ReconcileResult,
  StepOutcome,
  Waiting,
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
  /** retry while references or dependencies are not ready; 30 s unless given */
  dependencyRetryMs?: number;
  /** first re-check of an object that exists but is not Ready yet, doubling per pass up to the poll interval; 2 s unless given */
  notReadyPollMs?: number;
  /** Ready/Synced reasons that mean only a human can move the object on (kstatus Stalled); InvalidSpec, Unauthorized and NotFound always do */
  stalledReasons?: string[];
  /** condition messages and event texts are cut to this many characters; 1024 unless given */
  maxMessageLength?: number;
  /** how long a spec the service rejected (invalidSpec) is left alone unless its generation changes; 1 h unless given */
  invalidSpecRetryMs?: number;
  /** retry after credentials were refused; 2 min unless given */
  unauthorizedRetryMs?: number;
  /**
   * Whether a namespace is being deleted (see namespaces.ts). A deletion whose connection only a
   * person could repair (a Secret gone) releases the finalizer in such a namespace, where no
   * Secret can be created any more, instead of holding it forever; without this hook it waits.
   */
  namespaceTerminating?: (namespace: string) => Promise<boolean>;
  /** ± fraction applied to every requeue delay; 0.1 unless given */
  jitter?: number;
  random?: Random;
  now?: () => Date;
}

/** The steps that can fail, named in condition messages, events and metrics. */
export type Stage = "finalizer" | "references" | "connect" | "step" | "observe" | "create" | "update" | "action" | "delete";

const stageText: Record<Stage, { verb: string; reason: string }> = {
  finalizer: { verb: "update the finalizer", reason: "CannotUpdateFinalizer" },
  references: { verb: "resolve references", reason: "CannotResolveReferences" },
  connect: { verb: "connect to the external service", reason: "CannotConnect" },
  step: { verb: "prepare a dependent object", reason: "CannotPrepare" },
  observe: { verb: "observe the external object", reason: "CannotObserve" },
  create: { verb: "create the external object", reason: "CannotCreate" },
  update: { verb: "update the external object", reason: "CannotUpdate" },
  action: { verb: "run a requested action", reason: "CannotRunAction" },
  delete: { verb: "delete the external object", reason: "CannotDelete" },
};

const done: ReconcileResult = { kind: "done" };

/** The state of one reconcile pass: the object, the status being computed, and what to announce. */
class Pass<T extends ManagedObject> {
  readonly status: Status;
  readonly events: RecordedEvent[] = [];
  stage: Stage = "observe";
  /** the sub-step or action under way, named in messages ("cannot ensure the credential") */
  subject: string | undefined;
  /** the soonest re-check any part of the pass asked for */
  pollHint: number | undefined;
  /** a sub-step waits for a person (kstatus Stalled whatever its reason) */
  waitsForPerson = false;
  /** the object carried the finalizer when the pass began (so a create may have been attempted) */
  readonly hadFinalizer: boolean;

  poll(ms: number | undefined): void {
    if (ms !== undefined) this.pollHint = Math.min(this.pollHint ?? Infinity, ms);
  }
  /** set when the status must not be written (silent retries, the object is going away) */
  skipStatus = false;

  constructor(
    public obj: T,
    private readonly now: () => Date,
    finalizer: string,
  ) {
    this.status = { ...(statusOf(obj) ?? {}) };
    this.hadFinalizer = obj.metadata?.finalizers?.includes(finalizer) ?? false;
  }

  set(cond: ConditionLike): void {
    const generation = this.obj.metadata?.generation;
    this.status.conditions = setCondition(this.status.conditions as Condition[] | undefined, cond, { generation, now: this.now });
  }

  /** Merges adapter-owned fields: nested objects field by field (a step and an action may each fill part of one), arrays and scalars replaced, `undefined` removes. */
  merge(fields: Status | undefined): void {
    deepMerge(this.status, fields ?? {});
  }

  event(type: RecordedEvent["type"], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  /** Takes in a sub-step's or observation's status, conditions, events and poll hint. */
  takeOutcome(outcome: StepOutcome | undefined): void {
    this.poll(outcome?.pollAfterMs);
    this.merge(outcome?.status);
    for (const cond of outcome?.conditions ?? []) this.set(cond);
    this.events.push(...(outcome?.events ?? []));
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
  private readonly rejected = new Map<string, { generation: number | undefined; inputs: string; until: number }>();
  /** Consecutive not-ready passes by uid, for the fast-then-slower poll of objects on their way to Ready. */
  private readonly notReadyPasses = new Map<string, number>();
  private readonly stalledReasons: Set<string>;

  constructor(private readonly options: ManagedReconcilerOptions<T>) {
    this.adapter = options.adapter;
    this.events = options.events ?? noopEventRecorder;
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? ((): Date => new Date());
    this.stalledReasons = new Set([Reason.InvalidSpec, Reason.Unauthorized, Reason.NotFound, ...(options.stalledReasons ?? [])]);
  }

  /** Drops the hold and poll state of an object that is gone. */
  forget(obj: T): void {
    const uid = obj.metadata?.uid ?? "";
    this.rejected.delete(uid);
    this.notReadyPasses.delete(uid);
  }

  /** Reconciles `obj` once and says when to come back. Never throws. */
  async reconcile(obj: T): Promise<ReconcileResult> {
    const pass = new Pass(obj, this.now, this.options.finalizer);
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
    const full = this.managementPolicy(pass.obj) === "Full";
    if (full) await this.ensureFinalizer(pass);
    const refs = await this.resolveReferences(pass);
    if (refs) return refs;
    const client = await this.connect(pass);
    const wait = full ? await this.ensureSteps(pass, client) : undefined;
    if (wait) return this.wait(pass, wait);
    const observed = await this.observe(pass, client);
    if (!observed.exists) return this.handleMissing(pass, client);
    if (!observed.upToDate && full) return this.update(pass, client, observed);
    return this.settle(pass, client, observed.ready ?? available(), full);
  }

  /** The end of a pass that found the object in sync (or just made it so): after-sync steps when managed fully, requested actions, readiness, the next look. */
  private async settle(pass: Pass<T>, client: ExternalClient<T>, ready: ConditionLike, full: boolean): Promise<ReconcileResult> {
    if (full) await this.afterSync(pass, client);
    await this.runActions(pass, client.actions ?? []);
    pass.set(ready);
    pass.set(reconcileSuccess());
    return this.requeueSettled(pass, pass.pollHint);
  }

  /** Runs the client's sub-steps in order; the first that must wait stops the pass. */
  private async ensureSteps(pass: Pass<T>, client: ExternalClient<T>): Promise<Waiting | undefined> {
    for (const step of client.steps ?? []) {
      pass.subject = step.name;
      const outcome = await this.call(pass, "step", () => step.ensure(pass.obj));
      pass.takeOutcome(outcome);
      if (outcome.wait) return outcome.wait;
    }
    pass.subject = undefined;
    return undefined;
  }

  private async afterSync(pass: Pass<T>, client: ExternalClient<T>): Promise<void> {
    for (const step of client.steps ?? []) {
      if (!step.afterSync) continue;
      pass.subject = step.name;
      pass.takeOutcome(await this.call(pass, "step", () => step.afterSync!(pass.obj)));
    }
    pass.subject = undefined;
  }

  /** Runs each action whose requested value is new. */
  private async runActions(pass: Pass<T>, actions: Action<T>[]): Promise<void> {
    for (const action of actions) {
      const value = action.requested(pass.obj);
      if (value === undefined || value === action.handled(pass.obj)) continue;
      pass.subject = action.name;
      const requestId = createRequestId(`${pass.obj.metadata?.uid ?? objectKey(pass.obj)}/${action.name}/${value}`);
      const result = await this.call(pass, "action", () => action.run(pass.obj, { value, requestId }));
      pass.merge(result.status);
      if (result.event) pass.events.push(result.event);
      pass.poll(result.pollAfterMs);
      this.logger.info({ key: objectKey(pass.obj), action: action.name, value }, "ran requested action");
    }
    pass.subject = undefined;
  }

  private wait(pass: Pass<T>, wait: Waiting): ReconcileResult {
    pass.set(waiting(wait.reason, this.bounded(wait.message)));
    pass.set(reconcileSuccess());
    pass.waitsForPerson = wait.stalled === true;
    pass.poll(wait.pollAfterMs);
    return this.requeue(pass.pollHint ?? this.notReadyPoll(pass.obj));
  }

  /**
   * The next look at an object that is in sync: when the adapter asked (a run is active), at the
   * poll interval once Ready, and soon — backing off — while it is not Ready yet.
   */
  private requeueSettled(pass: Pass<T>, pollAfterMs: number | undefined): ReconcileResult {
    const ready = getCondition(pass.status.conditions as Condition[] | undefined, ConditionType.Ready)?.status === "True";
    const uid = pass.obj.metadata?.uid ?? "";
    if (ready) this.notReadyPasses.delete(uid);
    return this.requeue(pollAfterMs ?? (ready ? this.pollInterval() : this.notReadyPoll(pass.obj)));
  }

  private notReadyPoll(obj: T): number {
    const uid = obj.metadata?.uid ?? "";
    const n = this.notReadyPasses.get(uid) ?? 0;
    this.notReadyPasses.set(uid, n + 1);
    return Math.min((this.options.notReadyPollMs ?? 2_000) * 2 ** Math.min(n, 20), this.pollInterval());
  }

  private pollInterval(): number {
    return this.options.pollIntervalMs ?? 300_000;
  }

  /** True while this generation of `obj` was rejected as invalid and the hold has not expired. */
  private heldAsInvalid(obj: T): boolean {
    const uid = obj.metadata?.uid;
    const held = uid ? this.rejected.get(uid) : undefined;
    if (!uid || !held) return false;
    if (held.generation === obj.metadata?.generation && held.inputs === this.inputsVersion(obj) && this.now().getTime() < held.until) return true;
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
    const client = await this.connectForDeletion(pass);
    if (!client) return this.releaseFinalizer(pass);
    // Never created (or already gone): nothing to delete, so the finalizer must not hold the object.
    if (!(await this.observe(pass, client)).exists) return this.cleanupAndRelease(pass, client);
    await this.call(pass, "delete", () => client.delete(pass.obj)).catch((err: unknown) => {
      if (this.classify(err) !== "notFound") throw err;
    });
    pass.event("Normal", "Deleted", "deleted the external object");
    const after = await this.observe(pass, client);
    if (!after.exists) return this.cleanupAndRelease(pass, client);
    pass.set(deleting());
    pass.set(reconcileSuccess());
    return this.requeue(after.pollAfterMs ?? this.options.afterChangeMs ?? 2_000);
  }

  /**
   * Connects to delete. A connection that failed for a reason only a person can fix (unauthorized,
   * invalid: the connection Secret is gone or unusable) never will be fixed in a terminating
   * namespace, which accepts no new Secret: then undefined, after a warning naming the external
   * object left in place, so the namespace can go.
   */
  private async connectForDeletion(pass: Pass<T>): Promise<ExternalClient<T> | undefined> {
    try {
      return await this.connect(pass);
    } catch (err) {
      const cls = this.classify(err);
      const namespace = pass.obj.metadata?.namespace;
      if ((cls !== "unauthorized" && cls !== "invalidSpec") || !namespace || !this.options.namespaceTerminating) throw err;
      if (!(await this.options.namespaceTerminating(namespace))) throw err;
      this.logger.warn(
        { key: objectKey(pass.obj), externalId: this.adapter.getExternalId(pass.obj), ...errorFields(err) },
        "namespace is being deleted and the external service cannot be reached for this object: finalizer released, external object left in place",
      );
      return undefined;
    }
  }

  /** The main object is gone: its sub-steps clean up their objects (in reverse order), then the finalizer goes. */
  private async cleanupAndRelease(pass: Pass<T>, client: ExternalClient<T>): Promise<ReconcileResult> {
    for (const step of [...(client.steps ?? [])].reverse()) {
      if (!step.cleanup) continue;
      pass.subject = step.name;
      await this.call(pass, "step", () => step.cleanup!(pass.obj)).catch((err: unknown) => {
        if (this.classify(err) !== "notFound") throw err;
      });
    }
    return this.releaseFinalizer(pass);
  }

  private async releaseFinalizer(pass: Pass<T>): Promise<ReconcileResult> {
    this.notReadyPasses.delete(pass.obj.metadata?.uid ?? "");
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
    pass.set(dependencyNotReady(this.bounded(resolution.message)));
    pass.set(reconcileSuccess());
    return this.requeue(this.options.dependencyRetryMs ?? 30_000);
  }

  private connect(pass: Pass<T>): Promise<ExternalClient<T>> {
    return this.call(pass, "connect", () => this.adapter.connector.connect(pass.obj));
  }

  /** Observes and takes in what the adapter reports; a notFound-class error means the object does not exist. */
  private async observe(pass: Pass<T>, client: ExternalClient<T>): Promise<ExternalObservation> {
    const neverCreated = !pass.hadFinalizer && this.managementPolicy(pass.obj) === "Full" && !pass.obj.metadata?.deletionTimestamp;
    const observed = await this.call(pass, "observe", () => client.observe(pass.obj, { neverCreated })).catch((err: unknown): ExternalObservation => {
      if (this.classify(err) === "notFound") return { exists: false, upToDate: false };
      throw err;
    });
    pass.takeOutcome(observed);
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
      return this.requeue(this.pollInterval());
    }
    return this.create(pass, client);
  }

  private async create(pass: Pass<T>, client: ExternalClient<T>): Promise<ReconcileResult> {
    const requestId = createRequestId(pass.obj.metadata?.uid ?? objectKey(pass.obj), this.adapter.getExternalId(pass.obj));
    const created = await this.call(pass, "create", () => client.create(pass.obj, { requestId }));
    pass.merge(created.status);
    pass.merge(this.adapter.setExternalId(created.externalId));
    pass.set(reconcileSuccess());
    pass.event("Normal", "Created", `created external object ${created.externalId}`);
    this.logger.info({ key: objectKey(pass.obj), externalId: created.externalId }, "created external object");
    if (created.ready) {
      // The answer already says what an observe would: no read follows, and the pass ends as an
      // in-sync pass does (its after-sync steps and requested actions included).
      for (const cond of created.conditions ?? []) pass.set(cond);
      pass.events.push(...(created.events ?? []));
      pass.poll(created.pollAfterMs);
      return this.settle(pass, client, created.ready, true);
    }
    pass.set(creating());
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
    return this.requeue(pass.pollHint ?? this.pollInterval());
  }

  /** The one error path: classify, then say so in Synced and an event, and pick the retry. */
  private onError(pass: Pass<T>, err: unknown): ReconcileResult {
    const cls = this.classify(err);
    const { verb, reason } = stageText[pass.stage];
    const what = pass.subject ? `${verb} (${pass.subject})` : verb;
    const message = this.bounded(`cannot ${what}: ${this.summarize(err, cls)}`);
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
        this.logger.warn({ key, ...errorFields(err) }, "invalid spec; waiting for a spec or input change");
        pass.set(reconcileInvalidSpec(message));
        pass.event("Warning", reason, message);
        if (pass.obj.metadata?.uid) {
          const until = this.now().getTime() + (this.options.invalidSpecRetryMs ?? 3_600_000);
          this.rejected.set(pass.obj.metadata.uid, { generation: pass.obj.metadata.generation, inputs: this.inputsVersion(pass.obj), until });
        }
        return done;
      case "dependency":
        this.logger.info({ key, ...errorFields(err) }, "a dependency is not ready; retrying slowly");
        pass.set(dependencyNotReady(message));
        pass.set(reconcileDependency(message));
        pass.event("Warning", reason, message);
        return this.requeue(this.options.dependencyRetryMs ?? 30_000);
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

  /** A stable text for an error: the adapter's summary, else the message; the detail goes to the log. */
  private summarize(err: unknown, cls: ErrorClass): string {
    if (err instanceof KubeApiError) return `the apiserver answered ${err.code} ${err.reason}`.trim();
    return this.adapter.summarize?.(err, cls) ?? (err instanceof Error ? err.message : String(err));
  }

  /** Cuts a text to the configured length, so one huge service message cannot make every status patch fail. */
  private bounded(text: string): string {
    return bounded(text, this.options.maxMessageLength ?? 1024);
  }

  /**
   * The kstatus conditions, derived from Ready and Synced: none once Ready; Stalled=True when
   * only a human can move the object on; Reconciling=True otherwise (work under way).
   */
  private setKstatus(pass: Pass<T>): void {
    const list = pass.status.conditions as Condition[] | undefined;
    const ready = getCondition(list, ConditionType.Ready);
    const synced = getCondition(list, ConditionType.Synced);
    const options = { generation: pass.obj.metadata?.generation, now: this.now };
    if (ready?.status === "True") {
      pass.status.conditions = setKstatus(list, undefined, { reason: "" }, options);
      return;
    }
    const stalledBy = pass.waitsForPerson ? ready : [synced, ready].find((c) => c && c.status === "False" && this.stalledReasons.has(c.reason));
    const cause = stalledBy ?? (synced?.status === "False" ? synced : ready);
    const which = stalledBy ? ConditionType.Stalled : ConditionType.Reconciling;
    pass.status.conditions = setKstatus(list, which, { reason: cause?.reason ?? Reason.Creating, message: cause?.message }, options);
  }

  /** Writes the status if it changed, announces events, reports readiness. */
  private async finish(pass: Pass<T>, result: ReconcileResult): Promise<ReconcileResult> {
    for (const event of pass.events) this.events.record(pass.obj, event);
    if (pass.skipStatus) return result;
    pass.status.observedGeneration = pass.obj.metadata?.generation;
    this.setKstatus(pass);
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

  private inputsVersion(obj: T): string {
    return this.adapter.inputsVersion?.(obj) ?? "";
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(into: Status, from: Status): void {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      const copy = { ...current };
      deepMerge(copy, value);
      into[key] = copy;
    } else {
      into[key] = value;
    }
  }
}
