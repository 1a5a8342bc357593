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
  leaseDurationMs?: number;
  /** a leader that could not renew for this long steps down */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** called on becoming leader; `signal` aborts when leadership is lost or released */
  onStartedLeading(signal: AbortSignal): void;
  /** called when leadership is lost or released */
  onStoppedLeading(): void;
  logger?: Logger;
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
 */
export class LeaderElector {
  private leading = false;
  private leaderAbort: AbortController | undefined;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private lastSeen = { record: "", at: 0 };
  private lastRenew = 0;
  private lease: Lease | undefined;
  private readonly leaseDurationMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
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
    const retry = this.options.retryPeriodMs ?? 2_000;
    const renewDeadline = this.options.renewDeadlineMs ?? 10_000;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const held = await this.tryAcquireOrRenew();
      if (held) {
        this.lastRenew = Date.now();
        if (!this.leading) this.startLeading();
      } else if (this.leading && (this.heldByOther() || Date.now() - this.lastRenew > renewDeadline)) {
        this.logger.warn({}, "lost leadership");
        this.stopLeading();
      }
      await sleep(this.leading ? retry : withJitter(retry, 0.2), signal);
    }
    if (this.leading) {
      await this.release();
      this.stopLeading();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { kube, namespace, name, identity } = this.options;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await kube.get<Lease>(CoreTypes.Lease, { namespace, name });
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.warn(errorFields(err), "cannot read lease");
        return false;
      }
      return this.write(() => kube.create<Lease>(CoreTypes.Lease, { metadata: { namespace, name }, spec: this.spec(now, undefined) }));
    }
    this.lease = lease;
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`;
    if (record !== this.lastSeen.record) this.lastSeen = { record, at: now.getTime() };
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const expired = this.lastSeen.at + durationMs < now.getTime();
    if (spec.holderIdentity && spec.holderIdentity !== identity && !expired) return false;
    const body = { metadata: { resourceVersion: lease.metadata?.resourceVersion }, spec: this.spec(now, spec) };
    return this.write(() => kube.patch<Lease>(CoreTypes.Lease, { namespace, name }, { type: "merge", body }));
  }

  private spec(now: Date, current: LeaseSpec | undefined): LeaseSpec {
    const acquiring = current?.holderIdentity !== this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: acquiring ? microTime(now) : current?.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (current?.leaseTransitions ?? 0) + (acquiring && current?.holderIdentity ? 1 : 0),
    };
  }

  private async write(call: () => Promise<Lease>): Promise<boolean> {
    try {
      this.lease = await call();
      const spec = this.lease.spec ?? {};
      this.lastSeen = { record: `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`, at: Date.now() };
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
    const body = {
      metadata: { resourceVersion: this.lease?.metadata?.resourceVersion },
      spec: { holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
    };
    try {
      await kube.patch<Lease>(CoreTypes.Lease, { namespace, name }, { type: "merge", body });
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

  private stopLeading(): void {
    this.leading = false;
    this.leaderAbort?.abort();
    this.options.onStoppedLeading();
  }
}
