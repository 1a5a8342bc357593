/** Exponential backoff parameters: `baseMs * factor^attempt`, capped at `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** growth per attempt; 2 unless given */
  factor?: number;
}

/** A source of uniform numbers in [0, 1); injectable so tests are deterministic. */
export type Random = () => number;

/** The delay before retry number `attempt` (0-based), without jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const factor = options.factor ?? 2;
  // Cap the exponent first so large attempt counts cannot overflow to Infinity.
  const exp = Math.min(attempt, 64);
  return Math.min(options.maxMs, options.baseMs * factor ** exp);
}

/** `ms` moved uniformly by up to ±`fraction` of itself, so many callers do not retry in lockstep. */
export function withJitter(ms: number, fraction: number, random: Random = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + fraction * (2 * random() - 1))));
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects), so loops can sleep and still stop promptly. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
