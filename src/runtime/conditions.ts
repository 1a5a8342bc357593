/** A condition's status, as metav1.Condition spells it. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** A metav1.Condition as stored in `.status.conditions`. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A condition as computed by a reconciler: no timestamp or generation yet (those are stamped by `setCondition`). */
export interface ConditionLike {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
}

/** The condition types the generic reconciler owns (Synced) or shares with adapters (Ready). */
export const ConditionType = {
  Ready: "Ready",
  Synced: "Synced",
  /** kstatus: work is under way (kstatus InProgress) */
  Reconciling: "Reconciling",
  /** kstatus: only a human can move the object on (kstatus Failed) */
  Stalled: "Stalled",
} as const;

/** Reason strings shown to users; exact spellings are part of the product's API. */
export const Reason = {
  Available: "Available",
  Creating: "Creating",
  Deleting: "Deleting",
  Unavailable: "Unavailable",
  NotFound: "NotFound",
  DependencyNotReady: "DependencyNotReady",
  ReconcileSuccess: "ReconcileSuccess",
  ReconcileError: "ReconcileError",
  InvalidSpec: "InvalidSpec",
  Unauthorized: "Unauthorized",
  Paused: "Paused",
} as const;

/** Options for `setCondition`. */
export interface SetConditionOptions {
  /** `metadata.generation` of the object the condition describes */
  generation?: number;
  /** the time stamped on a transition; injectable for tests */
  now?: () => Date;
}

/** Returns the condition of `type`, if present. */
export function getCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/**
 * Returns a new list with `cond` set: `lastTransitionTime` is kept while the status is unchanged
 * (so a rewrite with the same status never churns), and `observedGeneration` is stamped.
 */
export function setCondition(
  list: readonly Condition[] | undefined,
  cond: ConditionLike,
  options: SetConditionOptions = {},
): Condition[] {
  const current = getCondition(list, cond.type);
  const now = options.now ?? ((): Date => new Date());
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message: cond.message ?? "",
    lastTransitionTime:
      current && current.status === cond.status ? current.lastTransitionTime : rfc3339Seconds(now()),
    ...(options.generation !== undefined ? { observedGeneration: options.generation } : {}),
  };
  const all = list ?? [];
  return current ? all.map((c) => (c.type === cond.type ? next : c)) : [...all, next];
}

/** Returns a new list without the condition of `type`. */
export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((c) => c.type !== type);
}

/**
 * Sets the kstatus pair (what Flux and kpt read): `which` True with `cause`'s reason and message
 * and the other one removed, or neither when `which` is undefined. A condition that held already
 * keeps its lastTransitionTime.
 */
export function setKstatus(
  list: readonly Condition[] | undefined,
  which: typeof ConditionType.Reconciling | typeof ConditionType.Stalled | undefined,
  cause: { reason: string; message?: string },
  options: SetConditionOptions = {},
): Condition[] {
  const other = which === ConditionType.Stalled ? ConditionType.Reconciling : ConditionType.Stalled;
  const rest = removeCondition(list, other);
  if (!which) return removeCondition(rest, ConditionType.Reconciling);
  return setCondition(rest, { type: which, status: "True", reason: cause.reason, message: cause.message ?? "" }, options);
}

/** Cuts a text to `max` characters, so one huge service message cannot make every status patch fail. */
export function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** True when two conditions say the same thing; `lastTransitionTime` is ignored. */
export function conditionEqual(a: Condition | ConditionLike | undefined, b: Condition | ConditionLike | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    (a.message ?? "") === (b.message ?? "") &&
    ("observedGeneration" in a ? a.observedGeneration : undefined) ===
      ("observedGeneration" in b ? b.observedGeneration : undefined)
  );
}

/** True when two condition lists hold the same conditions in any order; `lastTransitionTime` is ignored. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((c) => conditionEqual(c, getCondition(right, c.type)));
}

/** metav1.Time has second precision; writing milliseconds would make equal times compare unequal after a round trip. */
function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const ready = (status: ConditionStatus, reason: string, message?: string): ConditionLike => ({
  type: ConditionType.Ready,
  status,
  reason,
  ...(message !== undefined ? { message } : {}),
});
const synced = (status: ConditionStatus, reason: string, message?: string): ConditionLike => ({
  type: ConditionType.Synced,
  status,
  reason,
  ...(message !== undefined ? { message } : {}),
});

/** Ready=True/Available: the remote object exists, matches spec and is usable. */
export const available = (): ConditionLike => ready("True", Reason.Available);
/** Ready=False/Creating: the remote object is being created. */
export const creating = (): ConditionLike => ready("False", Reason.Creating);
/** Ready=False/Deleting: the remote object is being deleted. */
export const deleting = (): ConditionLike => ready("False", Reason.Deleting);
/** Ready=False/Unavailable: the remote object exists but is not usable (message says why). */
export const unavailable = (message?: string): ConditionLike => ready("False", Reason.Unavailable, message);
/** Ready=False/NotFound: an observed-only remote object does not exist. */
export const notFound = (message?: string): ConditionLike => ready("False", Reason.NotFound, message);
/** Ready=False/DependencyNotReady: a referenced object is missing or not ready yet. */
export const dependencyNotReady = (message?: string): ConditionLike =>
  ready("False", Reason.DependencyNotReady, message);

/** Ready=False with an adapter's waiting reason (e.g. AwaitingOAuthCode). */
export const waiting = (reason: string, message: string): ConditionLike => ready("False", reason, message);
/** Synced=False/DependencyNotReady: a dependency the service needs is missing; retried slowly and when it changes. */
export const reconcileDependency = (message: string): ConditionLike => synced("False", Reason.DependencyNotReady, message);

/** Synced=True/ReconcileSuccess: the last reconcile of this generation succeeded. */
export const reconcileSuccess = (): ConditionLike => synced("True", Reason.ReconcileSuccess);
/** Synced=False/ReconcileError: a transient failure; retried with backoff. */
export const reconcileError = (message: string): ConditionLike => synced("False", Reason.ReconcileError, message);
/** Synced=False/InvalidSpec: the service rejected the spec; nothing is retried until the spec changes. */
export const reconcileInvalidSpec = (message: string): ConditionLike => synced("False", Reason.InvalidSpec, message);
/** Synced=False/Unauthorized: the credentials were refused; retried slowly. */
export const reconcileUnauthorized = (message: string): ConditionLike => synced("False", Reason.Unauthorized, message);
/** Synced=False/Paused: reconciling is paused by annotation. */
export const reconcilePaused = (): ConditionLike =>
  synced("False", Reason.Paused, "reconciliation is paused via the pause annotation");
