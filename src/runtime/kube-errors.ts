import type { KubeStatus } from "./kube-types.js";

/** An error answer of the apiserver, with its HTTP code and metav1.Status reason. */
export class KubeApiError extends Error {
  /** HTTP status code (409 conflict, 404 not found, 410 gone, ...) */
  readonly code: number;
  /** metav1.Status reason, e.g. `Conflict`, `AlreadyExists`, `Expired` */
  readonly reason: string;

  constructor(code: number, status: KubeStatus | undefined, context: string) {
    super(`${context}: ${status?.message ?? `HTTP ${code}`}`);
    this.name = "KubeApiError";
    this.code = code;
    this.reason = status?.reason ?? "";
  }
}

const hasCode = (err: unknown, code: number): boolean => err instanceof KubeApiError && err.code === code;

/** True for an optimistic-concurrency conflict (stale resourceVersion): retry after re-reading. */
export function isConflict(err: unknown): boolean {
  return hasCode(err, 409) && (err as KubeApiError).reason !== "AlreadyExists";
}

/** True when the object (or its namespace) does not exist. */
export function isNotFound(err: unknown): boolean {
  return hasCode(err, 404);
}

/** True when a create found the name taken. */
export function isAlreadyExists(err: unknown): boolean {
  return hasCode(err, 409) && (err as KubeApiError).reason === "AlreadyExists";
}

/** True when a list or watch asked for a resourceVersion etcd has compacted away: relist. */
export function isGone(err: unknown): boolean {
  return hasCode(err, 410);
}
