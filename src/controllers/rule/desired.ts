import { isDeepStrictEqual } from "node:util";
import type { K3IngestRule } from "../../api/gen/index.js";
import { ingestv1 } from "../../grpc/index.js";
import { ownerLabels, remoteDisplayName } from "../owner.js";

const triggerTypes: Record<K3IngestRule["spec"]["trigger"]["type"], ingestv1.TriggerType> = {
  OnNewObject: ingestv1.TriggerType.TRIGGER_TYPE_ON_NEW_OBJECT,
  OnChange: ingestv1.TriggerType.TRIGGER_TYPE_ON_CHANGE,
  Schedule: ingestv1.TriggerType.TRIGGER_TYPE_SCHEDULE,
  Manual: ingestv1.TriggerType.TRIGGER_TYPE_MANUAL,
};

/** The remote rule a K3IngestRule asks for, once its source and pipeline ids are resolved. */
export interface DesiredRule {
  displayName: string;
  labels: Record<string, string>;
  sourceId: string;
  pipelineId: string;
  trigger: ingestv1.Trigger;
  filter: ingestv1.ObjectFilter;
  enabled: boolean;
}

/** Builds the desired remote rule; routing is on `pipelineId` only (never on the display binding). */
export function desiredRule(cr: K3IngestRule, ids: { sourceId: string; pipelineId: string }): DesiredRule {
  const spec = cr.spec;
  return {
    displayName: remoteDisplayName(cr),
    labels: ownerLabels(cr),
    sourceId: ids.sourceId,
    pipelineId: ids.pipelineId,
    trigger: { type: triggerTypes[spec.trigger.type], schedule: spec.trigger.type === "Schedule" ? (spec.trigger.schedule ?? "") : "" },
    filter: {
      includePaths: spec.filter?.includePaths ?? [],
      excludePaths: spec.filter?.excludePaths ?? [],
      mimeTypes: spec.filter?.mimeTypes ?? [],
      maxObjectSizeBytes: String(spec.filter?.maxObjectSizeBytes ?? 0),
    },
    enabled: spec.enabled !== false,
  };
}

/** The desired rule as a message for CreateRule/UpdateRule. */
export function ruleMessage(desired: DesiredRule, id = ""): Partial<ingestv1.IngestRule> {
  return { id, ...desired };
}

/**
 * The update_mask paths where the observed rule differs from the desired one; empty when up to
 * date. `enabled` is compared like any field, but an update always sends it (proto3 cannot tell
 * a false from a missing bool, so it is never left to the service's default).
 */
export function ruleDiff(observed: ingestv1.IngestRule, desired: DesiredRule): string[] {
  const mask: string[] = [];
  if (observed.displayName !== desired.displayName) mask.push("display_name");
  if (!Object.entries(desired.labels).every(([k, v]) => observed.labels[k] === v)) mask.push("labels");
  if (observed.sourceId !== desired.sourceId) mask.push("source_id");
  if (observed.pipelineId !== desired.pipelineId) mask.push("pipeline_id");
  if (observed.trigger?.type !== desired.trigger.type || (observed.trigger?.schedule ?? "") !== desired.trigger.schedule) mask.push("trigger");
  const f = observed.filter;
  const observedFilter = { includePaths: f?.includePaths ?? [], excludePaths: f?.excludePaths ?? [], mimeTypes: f?.mimeTypes ?? [], maxObjectSizeBytes: String(f?.maxObjectSizeBytes ?? "0") };
  if (!isDeepStrictEqual(observedFilter, desired.filter)) mask.push("filter");
  if (observed.enabled !== desired.enabled) mask.push("enabled");
  return mask;
}

/** The mask an update sends: what differs, plus `enabled` always. */
export function updateMask(diff: string[]): string[] {
  return diff.includes("enabled") ? diff : [...diff, "enabled"];
}
