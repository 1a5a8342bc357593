import { sleep, withJitter } from "./backoff.js";
import type { KubeClient } from "./kube-client.js";
import { isAlreadyExists, isConflict, isNotFound } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import { CoreTypes } from "./resource.js";

/** coordination.k8s.io/v1 LeaseSpec; the times are MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** A coordination.k8s.io/v1 Lease. */
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Options of a `LeaderElector` (defaults as client-go's: 15 s lease, 10 s renew deadline, 2 s retry). */
export interface LeaderElectorOptions {
  kube: KubeClient;
  namespace: string;
  /** the Lease's name, e.g. the operator's name */
  name: string;
  /** unique per replica, e.g. the pod name */
  identity: string;
  /** how long other replicas wait after the last renewal they saw before taking the Lease */
  leaseDurationMs?: number;
  /**
   * A leader steps down this long after the start of its last successful renew attempt, even
   * while an attempt still hangs; must be shorter than the lease duration.
   */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** called on becoming leader; `signal` aborts when leadership is lost or released */
  onStartedLeading(signal: AbortSignal): void;
  /** called when leadership is lost or released */
  onStoppedLeading(): void;
  logger?: Logger;
}

/** Lease timings of a `LeaderElector`, in milliseconds. */
export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's jitter factor on the retry period; the renew deadline must exceed the jittered period. */
const RETRY_JITTER = 0.2;

/** Throws a readable error unless lease duration > renew deadline > retry period (with jitter), as client-go requires. */
export function checkLeaseTimings(t: LeaseTimings): void {
  if (!(t.retryPeriodMs > 0)) throw new Error("the leader-election retry period must be positive");
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) throw new Error("the lease duration must be longer than the renew deadline");
  if (!(t.renewDeadlineMs > (1 + RETRY_JITTER) * t.retryPeriodMs)) throw new Error("the renew deadline must be longer than 1.2 × the retry period");
}

/** A metav1.MicroTime: RFC 3339 with exactly six fractional digits, as the apiserver requires for Lease times. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * Lease-based leader election, client-go's algorithm: acquire an empty or expired Lease, renew it
 * every retry period, step down when renewing fails past the renew deadline, release on stop.
 * Expiry is judged by when this replica last saw the Lease change, not by the holder's clock.
 * Writes use the Lease's resourceVersion, so two candidates can never both win.
 *
 * The renew deadline is a timer on the monotonic clock, counted from the start of the last
 * attempt that renewed: other replicas count the lease duration from when they see that renewal,
 * which is later, so a leader steps down (and its controllers stop) before anyone else can acquire,
 * even when its apiserver connection hangs. Every attempt is aborted at the deadline too.
 */
export class LeaderElector {
  private leading = false;
  private leaderAbort: AbortController | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private lastSeen = { record: "", at: 0 };
  private stepDownTimer: ReturnType<typeof setTimeout> | undefined;
  private lease: Lease | undefined;
  private readonly timings: LeaseTimings;
  private readonly logger: Logger;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = {
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
    };
    checkLeaseTimings(this.timings);
    this.logger = (options.logger ?? noopLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  /** True while this replica holds the Lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Starts competing for leadership in the background; a no-op when already started. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops competing and, if leading, releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { retryPeriodMs } = this.timings;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const started = performance.now();
      const held = await this.attempt();
      if (held && performance.now() - started < this.timings.renewDeadlineMs) {
        this.armStepDown(started);
        if (!this.leading) this.startLeading();
      } else if (this.leading && this.heldByOther()) {
        this.stopLeading("the lease is held by another replica");
      }
      await sleep(this.leading ? retryPeriodMs : withJitter(retryPeriodMs, RETRY_JITTER), signal);
    }
    clearTimeout(this.stepDownTimer);
    if (this.leading) {
      await this.release();
      this.stopLeading("released");
    }
  }

  /** One acquire-or-renew attempt, aborted at the renew deadline counted from its start (and at the step-down when leading). */
  private async attempt(): Promise<boolean> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timings.renewDeadlineMs);
    const signals = [this.stopping.signal, deadline.signal];
    if (this.leaderAbort && this.leading) signals.push(this.leaderAbort.signal);
    try {
      return await this.tryAcquireOrRenew(AbortSignal.any(signals));
    } finally {
      clearTimeout(timer);
    }
  }

  /** (Re)arms the step-down at `renewedAt` + renew deadline; it fires even while an attempt hangs. */
  private armStepDown(renewedAt: number): void {
    clearTimeout(this.stepDownTimer);
    const left = renewedAt + this.timings.renewDeadlineMs - performance.now();
    this.stepDownTimer = setTimeout(() => {
      if (this.leading) this.stopLeading("could not renew the lease within the renew deadline");
    }, left);
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { kube, namespace, name, identity } = this.options;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await kube.get<Lease>(CoreTypes.Lease, { namespace, name }, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.warn(errorFields(err), "cannot read lease");
        return false;
      }
      return this.write(() => kube.create<Lease>(CoreTypes.Lease, { metadata: { namespace, name }, spec: this.spec(now, undefined) }, { signal }));
    }
    this.lease = lease;
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`;
    // Seen now, after the read: the holder renewed at or before this instant, never after.
    if (record !== this.lastSeen.record) this.lastSeen = { record, at: performance.now() };
    const durationMs = (spec.leaseDurationSeconds ?? this.timings.leaseDurationMs / 1000) * 1000;
    const expired = this.lastSeen.at + durationMs < performance.now();
    if (spec.holderIdentity && spec.holderIdentity !== identity && !expired) return false;
    // A conditional PUT, as client-go does: the Lease's resourceVersion decides who wins, and the
    // RBAC rule needs only get/update on this Lease by name.
    return this.write(() => kube.update<Lease>(CoreTypes.Lease, { metadata: lease.metadata, spec: this.spec(now, spec) }, { signal }));
  }

  private spec(now: Date, current: LeaseSpec | undefined): LeaseSpec {
    const acquiring = current?.holderIdentity !== this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: acquiring ? microTime(now) : current?.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (current?.leaseTransitions ?? 0) + (acquiring && current?.holderIdentity ? 1 : 0),
    };
  }

  private async write(call: () => Promise<Lease>): Promise<boolean> {
    try {
      this.lease = await call();
      const spec = this.lease.spec ?? {};
      this.lastSeen = { record: `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`, at: performance.now() };
      return true;
    } catch (err) {
      // Someone else wrote first: they won this round.
      if (!isConflict(err) && !isAlreadyExists(err)) this.logger.warn(errorFields(err), "cannot write lease");
      return false;
    }
  }

  private heldByOther(): boolean {
    const holder = this.lease?.spec?.holderIdentity;
    return !!holder && holder !== this.options.identity;
  }

  private async release(): Promise<void> {
    const { kube, namespace, name } = this.options;
    const released: Lease = {
      metadata: this.lease?.metadata ?? { namespace, name },
      spec: { ...this.lease?.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
    };
    try {
      // Bounded like a renewal: a hanging apiserver must not hold up shutdown.
      await kube.update<Lease>(CoreTypes.Lease, released, { signal: AbortSignal.timeout(this.timings.renewDeadlineMs) });
    } catch (err) {
      this.logger.warn(errorFields(err), "cannot release lease; it will expire");
    }
  }

  private startLeading(): void {
    this.leading = true;
    this.leaderAbort = new AbortController();
    this.logger.info({}, "became leader");
    this.options.onStartedLeading(this.leaderAbort.signal);
  }

  private stopLeading(why: string): void {
    clearTimeout(this.stepDownTimer);
    this.leading = false;
    if (why !== "released") this.logger.warn({ reason: why }, "lost leadership");
    this.leaderAbort?.abort();
    this.options.onStoppedLeading();
  }
}
