// Condition types and reasons of k3-operator (DESIGN §1.2) and pure readers over an object's
// status.conditions. Writing and merging conditions belongs to src/runtime.

/** Condition types used by the four kinds. */
export const conditionTypes = {
  /** The remote object exists, matches spec and is usable. */
  ready: "Ready",
  /** The last reconcile of this generation succeeded; reason and message say why not. */
  synced: "Synced",
  /** K3Source: the credential is stored (and valid when validated). */
  credentialReady: "CredentialReady",
  /** K3IngestRule: the rule's pipeline still exists remotely. */
  pipelineBound: "PipelineBound",
  /** K3IngestJob: every per-object job succeeded. */
  complete: "Complete",
  /** K3IngestJob: the run finished with a failed job or could not be triggered. */
  failed: "Failed",
} as const;

/** One of the condition types of {@link conditionTypes}. */
export type ConditionType = (typeof conditionTypes)[keyof typeof conditionTypes];

/** Condition reasons used by the four kinds. */
export const reasons = {
  available: "Available",
  creating: "Creating",
  deleting: "Deleting",
  reconcileSuccess: "ReconcileSuccess",
  reconcileError: "ReconcileError",
  invalidSpec: "InvalidSpec",
  unauthorized: "Unauthorized",
  dependencyNotReady: "DependencyNotReady",
  paused: "Paused",
  awaitingOAuthCode: "AwaitingOAuthCode",
  credentialInvalid: "CredentialInvalid",
  pipelineDeleted: "PipelineDeleted",
  notFound: "NotFound",
} as const;

/** One of the reasons of {@link reasons}. */
export type Reason = (typeof reasons)[keyof typeof reasons];

/** Status of a condition, as metav1.Condition spells it. */
export type ConditionStatus = "True" | "False" | "Unknown";

/** A condition in the metav1.Condition shape; every generated kind's condition type fits it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Anything with an optional status.conditions list: every k3-operator object. */
export interface HasConditions {
  status?: { conditions?: Condition[] };
}

/** Returns the condition of type `type`, or undefined when the object has none. */
export function findCondition(obj: HasConditions, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Whether condition `type` is present with status True. */
export function isConditionTrue(obj: HasConditions, type: string): boolean {
  return findCondition(obj, type)?.status === "True";
}

/**
 * Whether condition `type` is True and was computed from the object's current generation,
 * the kstatus notion of "current": a stale True (older observedGeneration) does not count.
 */
export function isConditionTrueForGeneration(obj: HasConditions & { metadata: { generation?: number } }, type: string): boolean {
  const condition = findCondition(obj, type);
  return condition?.status === "True" && condition.observedGeneration === obj.metadata.generation;
}

/** Whether the object is Ready (condition Ready is True). */
export function isReady(obj: HasConditions): boolean {
  return isConditionTrue(obj, conditionTypes.ready);
}
