import { withJitter } from "./backoff.js";
import { bounded, type Condition, type ConditionLike, ConditionType, setCondition, setKstatus } from "./conditions.js";
import { type EventRecorder, noopEventRecorder, type RecordedEvent } from "./event-recorder.js";
import { isConflict, isNotFound, KubeApiError } from "./kube-errors.js";
import { objectKey } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import type { ErrorClass, ManagedObject, ReconcileResult } from "./managed-types.js";
import { createRequestId } from "./request-id.js";
import { type ObjectWriter, type Status, statusOf } from "./status-patcher.js";

/** Where a run stands, as its adapter read it from the service. */
export interface RunProgress {
  /** adapter-owned status fields (per-item results, counts, the run's id) */
  status: Status;
  outcome: "running" | "succeeded" | "failed";
  /** a short sentence for the condition (e.g. "3 of 5 objects ingested") */
  message: string;
  /** the ErrorInfo-like reason of a failure, for the Failed condition */
  reason?: string;
  events?: RecordedEvent[];
}

/**
 * A one-shot kind (observed like a batch/v1 Job): started once, polled until terminal, deleted
 * after its TTL. No finalizer: the service has no cancel, so deleting the object only stops
 * watching the run.
 */
export interface RunAdapter<T extends ManagedObject> {
  classify(err: unknown): ErrorClass;
  /** a stable text for an error (see ManagedAdapter.summarize) */
  summarize?(err: unknown, cls: ErrorClass): string;
  /** the run's id recorded in status by an earlier start, when there was one */
  runId(obj: T): string | undefined;
  /** what the start needs (e.g. its rule Ready); not ready → phase Pending, retried when it changes */
  prepare(obj: T): { ready: true } | { ready: false; message: string };
  /** starts the run; `requestId` is derived from the object's uid, so a retry after a lost answer is a replay */
  start(obj: T, ctx: { requestId: string }): Promise<RunProgress & { runId: string }>;
  /** reads the progress of run `runId` */
  poll(obj: T, runId: string): Promise<RunProgress>;
  /** seconds after completion the object is deleted; undefined keeps it */
  ttlSecondsAfterFinished(obj: T): number | undefined;
}

/** Options of a `RunReconciler`. */
export interface RunReconcilerOptions<T extends ManagedObject> {
  adapter: RunAdapter<T>;
  writer: ObjectWriter<T>;
  events?: EventRecorder;
  logger?: Logger;
  /** poll of a running run; 2 s unless given */
  pollMs?: number;
  /** re-check of a run that cannot start yet (its dependency is watched too); 30 s unless given */
  pendingRetryMs?: number;
  /** retry after credentials were refused; 2 min unless given */
  unauthorizedRetryMs?: number;
  /** condition messages are cut to this length; 1024 unless given */
  maxMessageLength?: number;
  now?: () => Date;
}

type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

const done: ReconcileResult = { kind: "done" };

/**
 * The reconciler of one-shot runs: Pending → (start once) → Running → Succeeded | Failed, with
 * `Complete` / `Failed` conditions (so `kubectl wait --for=condition=Complete` works), kstatus
 * Reconciling while not finished, Stalled once failed, Events Started / Completed / Failed, and
 * deletion `ttlSecondsAfterFinished` after completion. A finished run makes no call at all.
 */
export class RunReconciler<T extends ManagedObject> {
  private readonly events: EventRecorder;
  private readonly logger: Logger;
  private readonly now: () => Date;
  /**
   * Runs this process started, by uid, until their id shows in the cache: a pass that reads the
   * object before its own status write came back must poll, not start again.
   */
  private readonly startedRuns = new Map<string, string>();

  constructor(private readonly options: RunReconcilerOptions<T>) {
    this.events = options.events ?? noopEventRecorder;
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Drops the note of a started run of an object that is gone. */
  forget(obj: T): void {
    this.startedRuns.delete(obj.metadata?.uid ?? objectKey(obj));
  }

  /** Reconciles `obj` once and says when to come back. Never throws. */
  async reconcile(obj: T): Promise<ReconcileResult> {
    const status: Status = { ...(statusOf(obj) ?? {}) };
    const events: RecordedEvent[] = [];
    if (isFinished(status)) return this.expire(obj, status);
    let result: ReconcileResult;
    try {
      result = await this.step(obj, status, events);
    } catch (err) {
      result = this.onError(obj, status, events, err);
    }
    return this.finish(obj, status, events, result);
  }

  private async step(obj: T, status: Status, events: RecordedEvent[]): Promise<ReconcileResult> {
    const { adapter } = this.options;
    let progress: RunProgress;
    const uid = obj.metadata?.uid ?? objectKey(obj);
    const recorded = adapter.runId(obj);
    if (recorded) this.startedRuns.delete(uid);
    const runId = recorded ?? this.startedRuns.get(uid);
    if (runId) {
      progress = await adapter.poll(obj, runId);
    } else {
      const prepared = adapter.prepare(obj);
      if (!prepared.ready) {
        this.setPhase(obj, status, "Pending", { reason: "DependencyNotReady", message: prepared.message });
        return this.requeue(this.options.pendingRetryMs ?? 30_000);
      }
      const started = await adapter.start(obj, { requestId: createRequestId(`${uid}/run`) });
      this.startedRuns.set(uid, started.runId);
      progress = started;
      status["startTime"] = rfc3339(this.now());
      events.push({ type: "Normal", reason: "Started", message: `started: ${progress.message}` });
      this.logger.info({ key: objectKey(obj) }, "run started");
    }
    Object.assign(status, progress.status);
    events.push(...(progress.events ?? []));
    if (progress.outcome === "running") {
      this.setPhase(obj, status, "Running", { reason: "Running", message: progress.message });
      return this.requeue(this.options.pollMs ?? 2_000);
    }
    return this.complete(obj, status, events, progress.outcome === "succeeded" ? "Succeeded" : "Failed", { reason: progress.reason, message: progress.message });
  }

  private complete(obj: T, status: Status, events: RecordedEvent[], phase: "Succeeded" | "Failed", why: { reason?: string; message: string }): ReconcileResult {
    status["completionTime"] = rfc3339(this.now());
    this.setPhase(obj, status, phase, { reason: why.reason ?? (phase === "Succeeded" ? "Completed" : "Failed"), message: why.message });
    events.push(phase === "Succeeded" ? { type: "Normal", reason: "Completed", message: why.message } : { type: "Warning", reason: "Failed", message: why.message });
    this.logger.info({ key: objectKey(obj), phase }, "run finished");
    const ttl = this.options.adapter.ttlSecondsAfterFinished(obj);
    return ttl === undefined ? done : { kind: "requeueAfter", ms: ttl * 1000 };
  }

  /** A finished run: nothing to call; delete it once its TTL passed. */
  private async expire(obj: T, status: Status): Promise<ReconcileResult> {
    this.startedRuns.delete(obj.metadata?.uid ?? objectKey(obj));
    const ttl = this.options.adapter.ttlSecondsAfterFinished(obj);
    const completedAt = status["completionTime"];
    const completed = typeof completedAt === "string" ? Date.parse(completedAt) : NaN;
    if (ttl === undefined || Number.isNaN(completed)) return done;
    const left = completed + ttl * 1000 - this.now().getTime();
    if (left > 0) return { kind: "requeueAfter", ms: left };
    try {
      await this.options.writer.deleteObject?.(obj);
      this.logger.info({ key: objectKey(obj) }, "deleted a finished run after its TTL");
      return done;
    } catch (err) {
      return { kind: "backoff", error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  private onError(obj: T, status: Status, events: RecordedEvent[], err: unknown): ReconcileResult {
    if (err instanceof KubeApiError) return isNotFound(err) ? done : { kind: "backoff", error: err };
    const cls = this.options.adapter.classify(err);
    const text = this.bounded(this.options.adapter.summarize?.(err, cls) ?? (err instanceof Error ? err.message : String(err)));
    const started = Boolean(this.options.adapter.runId(obj) ?? this.startedRuns.get(obj.metadata?.uid ?? objectKey(obj)));
    if (!started && (cls === "invalidSpec" || cls === "dependency")) {
      // The service refused to start the run (unknown object keys, a disabled rule, a deleted
      // pipeline): a one-shot run fails, as a batch Job whose pod cannot be created does.
      return this.complete(obj, status, events, "Failed", { reason: "StartRejected", message: `the service refused to start the run: ${text}` });
    }
    this.logger.warn({ key: objectKey(obj), ...errorFields(err) }, "run reconcile failed; retrying");
    this.setPhase(obj, status, started ? "Running" : "Pending", { reason: cls === "unauthorized" ? "Unauthorized" : "ReconcileError", message: text });
    if (cls === "unauthorized") return this.requeue(this.options.unauthorizedRetryMs ?? 120_000);
    return { kind: "backoff", error: err instanceof Error ? err : new Error(text) };
  }

  /** Phase, the Complete/Failed pair and the kstatus conditions, together. */
  private setPhase(obj: T, status: Status, phase: Phase, why: { reason: string; message: string }): void {
    const generation = obj.metadata?.generation;
    let list = status["conditions"] as Condition[] | undefined;
    const set = (cond: ConditionLike): void => {
      list = setCondition(list, cond, { generation, now: this.now });
    };
    const message = this.bounded(why.message);
    status["phase"] = phase;
    set({ type: "Complete", status: phase === "Succeeded" ? "True" : "False", reason: why.reason, message });
    set({ type: "Failed", status: phase === "Failed" ? "True" : "False", reason: why.reason, message });
    const which = phase === "Failed" ? ConditionType.Stalled : phase === "Succeeded" ? undefined : ConditionType.Reconciling;
    status["conditions"] = setKstatus(list, which, { reason: why.reason, message }, { generation, now: this.now });
  }

  private async finish(obj: T, status: Status, events: RecordedEvent[], result: ReconcileResult): Promise<ReconcileResult> {
    for (const event of events) this.events.record(obj, event);
    status["observedGeneration"] = obj.metadata?.generation;
    try {
      await this.options.writer.patchStatus(obj, status);
    } catch (err) {
      if (isNotFound(err)) return done;
      if (isConflict(err)) return { kind: "backoff" };
      return { kind: "backoff", error: new Error(`cannot write status of ${objectKey(obj)}`, { cause: err }) };
    }
    return result;
  }

  private bounded(text: string): string {
    return bounded(text, this.options.maxMessageLength ?? 1024);
  }

  private requeue(ms: number): ReconcileResult {
    return { kind: "requeueAfter", ms: withJitter(ms, 0.1) };
  }
}

function isFinished(status: Status): boolean {
  return status["phase"] === "Succeeded" || status["phase"] === "Failed";
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
