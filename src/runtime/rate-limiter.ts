/** Options of a `TokenBucket`. */
export interface TokenBucketOptions {
  /** tokens added per second */
  qps: number;
  /** bucket size: how many calls may go at once after a quiet period */
  burst: number;
  /** monotonic milliseconds; injectable for tests */
  now?: () => number;
}

/**
 * A token bucket that throttles calls to an external service: `take()` resolves when a token is
 * available, in call order. Waiting callers reserve future tokens, so a burst of callers is spread
 * out at `qps` instead of all retrying at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: TokenBucketOptions) {
    if (options.qps <= 0 || options.burst < 1) throw new Error("token bucket needs qps > 0 and burst >= 1");
    this.qps = options.qps;
    this.burst = options.burst;
    this.now = options.now ?? ((): number => performance.now());
    this.tokens = options.burst;
    this.last = this.now();
  }

  /** Takes a token now if one is available, without waiting. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Resolves once a token is taken; rejects (and returns the reservation) if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    const waitMs = (-this.tokens / this.qps) * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, waitMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.tokens += 1;
        reject(signal?.reason instanceof Error ? signal.reason : new Error("token wait aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }
}
