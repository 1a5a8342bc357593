// IngestService: the rule RPCs (Create/Get/List/Update/DeleteRule). A rule routes on
// pipeline_id; its binding is derived from the pipeline at read time and is unset once the
// pipeline is gone. Pointing a rule at a source or pipeline that does not exist is
// FAILED_PRECONDITION (reason SOURCE_NOT_FOUND / PIPELINE_NOT_FOUND): the request is well
// formed, the tenant's state does not allow it (yet).
import {
  type IngestRule,
  type IngestServiceService,
  type Trigger,
  TriggerType,
} from "../../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { CallContext, Handlers } from "../context.js";
import { cronProblem } from "../cron.js";
import { failedPrecondition, notFound, Violations } from "../errors.js";
import { resolveUpdateMask } from "../field-mask.js";
import { checkObjectFilter } from "../object-filter.js";
import { matchesLabels, paginate } from "../pagination.js";
import { newId, type RuleRecord, type TenantState } from "../store.js";
import { copy, requireId } from "./common.js";
import { destinationText } from "./pipeline.js";

type RuleHandlers = Pick<Handlers<typeof IngestServiceService>, "createRule" | "getRule" | "listRules" | "updateRule" | "deleteRule">;

function checkTrigger(trigger: Trigger | undefined, violations: Violations): void {
  if (trigger === undefined) {
    violations.add("rule.trigger", "required", "REQUIRED");
    return;
  }
  if (trigger.type === TriggerType.TRIGGER_TYPE_UNSPECIFIED || !(trigger.type in TriggerType) || trigger.type === TriggerType.UNRECOGNIZED) {
    violations.add("rule.trigger.type", "required: ON_NEW_OBJECT, ON_CHANGE, SCHEDULE or MANUAL", "REQUIRED");
  } else if (trigger.type === TriggerType.TRIGGER_TYPE_SCHEDULE) {
    const problem = cronProblem(trigger.schedule);
    if (problem !== undefined) violations.add("rule.trigger.schedule", `a SCHEDULE trigger needs a cron schedule: ${problem}`, "INVALID_SCHEDULE");
  } else if (trigger.schedule !== "") {
    violations.add("rule.trigger.schedule", "only SCHEDULE triggers take a schedule", "SCHEDULE_NOT_ALLOWED");
  }
}

/** Checks the fields of a rule's desired state that need no lookups. */
function checkRule(rule: IngestRule, violations: Violations): void {
  if (rule.displayName === "") violations.add("rule.display_name", "required", "REQUIRED");
  if (rule.sourceId === "") violations.add("rule.source_id", "required", "REQUIRED");
  if (rule.pipelineId === "") violations.add("rule.pipeline_id", "required", "REQUIRED");
  checkTrigger(rule.trigger, violations);
  checkObjectFilter(rule.filter, "rule.filter", violations);
}

function assertSourceExists(tenant: TenantState, sourceId: string): void {
  if (!tenant.sources.has(sourceId)) throw failedPrecondition("SOURCE_NOT_FOUND", `source "${sourceId}" does not exist`, { sourceId });
}

function assertPipelineExists(tenant: TenantState, pipelineId: string): void {
  if (!tenant.pipelines.has(pipelineId)) throw failedPrecondition("PIPELINE_NOT_FOUND", `pipeline "${pipelineId}" does not exist`, { pipelineId });
}

/** A rule as the API shows it, with its binding derived from the pipeline it points at. */
export function ruleView(ctx: CallContext, record: RuleRecord): IngestRule {
  const rule = copy(record.rule);
  const pipeline = ctx.tenant.pipelines.get(rule.pipelineId)?.pipeline;
  rule.binding = pipeline === undefined
    ? undefined
    : { pipelineName: pipeline.displayName, kind: pipeline.template?.name ?? "", destination: destinationText(pipeline) };
  return rule;
}

/** Finds a rule of the tenant or throws NOT_FOUND. */
export function getRuleRecord(tenant: TenantState, id: string): RuleRecord {
  const record = tenant.rules.get(id);
  if (record === undefined) throw notFound("rule", id);
  return record;
}

const OUTPUT_ONLY = "output only";

/** Handlers of the rule RPCs. */
export const ruleHandlers: RuleHandlers = {
  createRule(ctx, request) {
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    if (replay !== undefined) {
      const existing = ctx.tenant.rules.get(replay.id);
      return existing === undefined ? copy(replay.response as { rule: IngestRule }) : { rule: ruleView(ctx, existing) };
    }
    const violations = new Violations();
    if (request.rule === undefined) violations.add("rule", "required", "REQUIRED");
    else checkRule(request.rule, violations);
    violations.throwIfAny();
    const input = request.rule as IngestRule;
    ctx.tenant.assertNameFree("rule", input.displayName);
    assertSourceExists(ctx.tenant, input.sourceId);
    assertPipelineExists(ctx.tenant, input.pipelineId);
    const at = new Date(ctx.now);
    const rule: IngestRule = {
      ...copy(input), id: newId("rule"), binding: undefined,
      filter: copy(input.filter ?? { includePaths: [], excludePaths: [], mimeTypes: [], maxObjectSizeBytes: "0" }),
      createTime: at, updateTime: at,
    };
    const record: RuleRecord = { seq: ctx.tenant.nextSeq(), rule, scheduledThrough: ctx.now };
    ctx.tenant.rules.set(rule.id, record);
    ctx.tenant.recordName("rule", rule.displayName, rule.id);
    const response = { rule: ruleView(ctx, record) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: rule.id, response });
    return response;
  },

  getRule(ctx, request) {
    requireId("id", request.id);
    return { rule: ruleView(ctx, getRuleRecord(ctx.tenant, request.id)) };
  },

  listRules(ctx, request) {
    const matching = [...ctx.tenant.rules.values()].filter((r) =>
      (request.sourceId === "" || r.rule.sourceId === request.sourceId) &&
      (request.pipelineId === "" || r.rule.pipelineId === request.pipelineId) &&
      matchesLabels(r.rule.labels, request.labelFilter));
    const filter = { sourceId: request.sourceId, pipelineId: request.pipelineId, labels: request.labelFilter };
    const page = paginate({ items: matching, seqOf: (r) => r.seq, request, filter });
    return { rules: page.items.map((r) => ruleView(ctx, r)), nextPageToken: page.nextPageToken };
  },

  updateRule(ctx, request) {
    requireId("rule.id", request.rule?.id ?? "");
    const update = request.rule as IngestRule;
    const record = getRuleRecord(ctx.tenant, update.id);
    const paths = resolveUpdateMask({
      paths: request.updateMask,
      mutable: ["display_name", "labels", "source_id", "pipeline_id", "trigger", "filter", "enabled"],
      immutable: { id: OUTPUT_ONLY, binding: OUTPUT_ONLY, create_time: OUTPUT_ONLY, update_time: OUTPUT_ONLY },
      populated: (path) => ({
        display_name: update.displayName !== "", labels: Object.keys(update.labels).length > 0,
        source_id: update.sourceId !== "", pipeline_id: update.pipelineId !== "", trigger: update.trigger !== undefined,
        filter: update.filter !== undefined, enabled: update.enabled,
      })[path] ?? false,
    });
    const next = copy(record.rule);
    if (paths.has("display_name")) next.displayName = update.displayName;
    if (paths.has("labels")) next.labels = { ...update.labels };
    if (paths.has("source_id")) next.sourceId = update.sourceId;
    if (paths.has("pipeline_id")) next.pipelineId = update.pipelineId;
    if (paths.has("trigger")) next.trigger = copy(update.trigger);
    if (paths.has("filter")) next.filter = copy(update.filter ?? { includePaths: [], excludePaths: [], mimeTypes: [], maxObjectSizeBytes: "0" });
    if (paths.has("enabled")) next.enabled = update.enabled;
    const violations = new Violations();
    checkRule(next, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("rule", next.displayName, next.id);
    if (paths.has("source_id")) assertSourceExists(ctx.tenant, next.sourceId);
    if (paths.has("pipeline_id")) assertPipelineExists(ctx.tenant, next.pipelineId);
    if (paths.size > 0) next.updateTime = new Date(ctx.now);
    record.rule = next;
    ctx.tenant.recordName("rule", next.displayName, next.id);
    return { rule: ruleView(ctx, record) };
  },

  deleteRule(ctx, request) {
    requireId("id", request.id);
    getRuleRecord(ctx.tenant, request.id);
    ctx.tenant.rules.delete(request.id);
    ctx.tenant.sentByRule.delete(request.id);
    return {};
  },
};
