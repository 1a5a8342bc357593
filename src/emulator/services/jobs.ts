// IngestService: per-object ingest jobs (TriggerIngest, GetIngestStatus, ListIngestJobs).
// TriggerIngest with object keys makes one job per distinct key regardless of the rule's
// filter (an explicit request wins); a key the source does not hold is INVALID_ARGUMENT
// (field object_keys[i]) and nothing is made. Without keys, every object the filter matches
// gets a job. A disabled rule, a deleted pipeline or source, or an unreadable source is
// FAILED_PRECONDITION.
import {
  IngestJobState,
  type IngestServiceService,
} from "../../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Handlers } from "../context.js";
import { failedPrecondition, notFound, Violations } from "../errors.js";
import { filterMatches } from "../object-filter.js";
import { deriveObjects, listingProblem, type SourceObject } from "../objects.js";
import { paginate } from "../pagination.js";
import { countJobs, jobState, jobView, QUEUE_MS, scheduleJobs } from "../runs.js";
import { newId } from "../store.js";
import { requireId } from "./common.js";
import { getRuleRecord } from "./rule.js";
import { jobsOf } from "./sync.js";

type JobHandlers = Pick<Handlers<typeof IngestServiceService>, "triggerIngest" | "getIngestStatus" | "listIngestJobs">;

/** Picks the objects named by `keys` (INVALID_ARGUMENT for unknown ones), in key order. */
function pickObjects(objects: readonly SourceObject[], keys: readonly string[], sourceId: string): SourceObject[] {
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const violations = new Violations();
  keys.forEach((key, i) => {
    if (!byKey.has(key)) violations.add(`object_keys[${i}]`, `source ${sourceId} has no object "${key}"`, "OBJECT_NOT_FOUND");
  });
  violations.throwIfAny();
  return objects.filter((o) => keys.includes(o.key));
}

/** Handlers of the job RPCs. */
export const jobHandlers: JobHandlers = {
  triggerIngest(ctx, request) {
    requireId("rule_id", request.ruleId);
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    const replayed = replay === undefined ? undefined : ctx.tenant.triggers.get(replay.id);
    if (replayed !== undefined) return { triggerId: replayed.id, jobs: jobsOf(ctx.tenant, replayed.jobIds).map((j) => jobView(j, ctx.now)) };
    const rule = getRuleRecord(ctx.tenant, request.ruleId).rule;
    const source = ctx.tenant.sources.get(rule.sourceId)?.source;
    if (!rule.enabled) throw failedPrecondition("RULE_DISABLED", `rule "${rule.id}" is disabled; disabled rules make no jobs`, { ruleId: rule.id });
    if (!ctx.tenant.pipelines.has(rule.pipelineId)) {
      throw failedPrecondition("PIPELINE_NOT_FOUND", `the pipeline "${rule.pipelineId}" of rule "${rule.id}" no longer exists`, { pipelineId: rule.pipelineId });
    }
    if (source === undefined) {
      throw failedPrecondition("SOURCE_NOT_FOUND", `the source "${rule.sourceId}" of rule "${rule.id}" no longer exists`, { sourceId: rule.sourceId });
    }
    const problem = listingProblem(source);
    if (problem !== undefined) throw failedPrecondition("SOURCE_UNREADABLE", problem, { sourceId: source.id });
    const objects = deriveObjects(source);
    const chosen = request.objectKeys.length > 0
      ? pickObjects(objects, request.objectKeys, source.id)
      : objects.filter((o) => filterMatches(rule.filter, o));
    const triggerId = newId("trg");
    const seeds = chosen.map((object) => ({
      id: newId("job"), seq: ctx.tenant.nextSeq(), ruleId: rule.id, sourceId: source.id, pipelineId: rule.pipelineId, triggerId, object,
    }));
    const jobs = scheduleJobs({ clock: ctx.clock, now: ctx.now, startAt: ctx.now + ctx.clock.scale(QUEUE_MS), seeds });
    for (const job of jobs) ctx.tenant.jobs.set(job.id, job);
    ctx.tenant.triggers.set(triggerId, { id: triggerId, jobIds: jobs.map((j) => j.id) });
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: triggerId, response: undefined });
    return { triggerId, jobs: jobs.map((j) => jobView(j, ctx.now)) };
  },

  getIngestStatus(ctx, request) {
    requireId("trigger_id", request.triggerId);
    const trigger = ctx.tenant.triggers.get(request.triggerId);
    if (trigger === undefined) throw notFound("trigger", request.triggerId);
    const jobs = jobsOf(ctx.tenant, trigger.jobIds);
    const counts = countJobs(jobs, ctx.now);
    const done = jobs.every((j) => {
      const state = jobState(j, ctx.now);
      return state === IngestJobState.INGEST_JOB_STATE_SUCCEEDED || state === IngestJobState.INGEST_JOB_STATE_FAILED;
    });
    return { triggerId: trigger.id, jobs: jobs.map((j) => jobView(j, ctx.now)), counts, done };
  },

  listIngestJobs(ctx, request) {
    const matching = [...ctx.tenant.jobs.values()].filter((j) =>
      (request.ruleId === "" || j.ruleId === request.ruleId) &&
      (request.sourceId === "" || j.sourceId === request.sourceId) &&
      (request.triggerId === "" || j.triggerId === request.triggerId) &&
      (request.state === IngestJobState.INGEST_JOB_STATE_UNSPECIFIED || jobState(j, ctx.now) === request.state)).reverse();
    const filter = { ruleId: request.ruleId, sourceId: request.sourceId, triggerId: request.triggerId, state: request.state };
    const page = paginate({ items: matching, seqOf: (j) => j.seq, request, filter, order: "descending" });
    return { jobs: page.items.map((j) => jobView(j, ctx.now)), nextPageToken: page.nextPageToken, totalSize: matching.length };
  },
};
