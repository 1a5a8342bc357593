// When the K3 client may repeat a call, and how long it waits in between. Pure functions, so
// the policy is table-tested without a server.

/** Bounds of the retry loop; every field has a default in DEFAULT_RETRY_POLICY. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. */
  maxAttempts: number;
  /** Upper bound of the first backoff, in ms. */
  initialBackoffMs: number;
  /** Upper bound no backoff exceeds, in ms. */
  maxBackoffMs: number;
  /** Growth factor of the backoff bound per attempt. */
  multiplier: number;
}

/** Defaults: 4 attempts, backoff bounds 100 ms, 200 ms, 400 ms … capped at 5 s. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 2,
};

// Reads and deletes are naturally idempotent; an update sends the full new values of the
// masked fields, so repeating it converges to the same state; ValidateCredential only records
// a verdict. Everything else creates something and is safe only with an idempotency key.
const IDEMPOTENT_PREFIXES = ["Get", "List", "Update", "Delete"] as const;
const IDEMPOTENT_RPCS: ReadonlySet<string> = new Set(["ValidateCredential"]);

/**
 * True when repeating rpc with this request cannot create a second remote object: Get*,
 * List*, Update*, Delete*, ValidateCredential, or any request carrying a non-empty requestId.
 */
export function isRetrySafe(rpc: string, request: unknown): boolean {
  if (IDEMPOTENT_RPCS.has(rpc) || IDEMPOTENT_PREFIXES.some((prefix) => rpc.startsWith(prefix))) {
    return true;
  }
  if (typeof request !== "object" || request === null || !("requestId" in request)) {
    return false;
  }
  return typeof request.requestId === "string" && request.requestId !== "";
}

/**
 * The wait before attempt number `attempt + 1` (attempt counts from 1): "full jitter", a
 * uniform draw in [0, min(maxBackoffMs, initialBackoffMs * multiplier^(attempt-1))), so that
 * many clients failing together do not retry together.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** (attempt - 1));
  return Math.floor(random() * bound);
}
