// IngestService: source syncs (TriggerDiscovery, TriggerIngestion, GetSyncStatus).
// Every trigger starts a new run (runs of one source may overlap); GetSyncStatus shows the
// latest of each kind. An ingestion run makes one job per object for each enabled,
// non-MANUAL rule of the source whose pipeline exists and whose filter matches; without
// full_sync it skips objects the rule was already sent unchanged (ON_NEW_OBJECT: already
// sent at all). A source that cannot be listed fails both kinds of run.
import {
  type IngestServiceService,
  type IngestionRun,
  type DiscoveryRun,
  TriggerType,
} from "../../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { CallContext, Handlers } from "../context.js";
import { deriveObjects, listingProblem } from "../objects.js";
import { filterMatches } from "../object-filter.js";
import {
  discoveryRunView,
  EMPTY_RUN_MS,
  ingestionRunView,
  jobFinishAt,
  type JobSeed,
  QUEUE_MS,
  scheduleDiscovery,
  scheduleJobs,
} from "../runs.js";
import { type IngestionRunRecord, type JobRecord, newId, type TenantState } from "../store.js";
import { requireId } from "./common.js";
import { getSourceRecord } from "./source.js";

type SyncHandlers = Pick<Handlers<typeof IngestServiceService>, "triggerDiscovery" | "triggerIngestion" | "getSyncStatus">;

/** The jobs of a trigger or ingestion run, in object-key order. */
export function jobsOf(tenant: TenantState, jobIds: readonly string[]): JobRecord[] {
  return jobIds.map((id) => tenant.jobs.get(id)).filter((j): j is JobRecord => j !== undefined);
}

function ingestionView(ctx: CallContext, run: IngestionRunRecord): IngestionRun {
  return ingestionRunView(run, jobsOf(ctx.tenant, run.jobIds), ctx.now);
}

/** Job seeds of an ingestion run: per eligible rule, the objects it should be sent. */
function ingestionSeeds(ctx: CallContext, options: { sourceId: string; runId: string; fullSync: boolean }): JobSeed[] {
  const source = getSourceRecord(ctx.tenant, options.sourceId).source;
  const objects = deriveObjects(source);
  const seeds: JobSeed[] = [];
  for (const { rule } of ctx.tenant.rules.values()) {
    const type = rule.trigger?.type;
    if (rule.sourceId !== source.id || !rule.enabled || type === TriggerType.TRIGGER_TYPE_MANUAL) continue;
    if (!ctx.tenant.pipelines.has(rule.pipelineId)) continue;
    let sent = ctx.tenant.sentByRule.get(rule.id);
    if (sent === undefined) {
      sent = new Map();
      ctx.tenant.sentByRule.set(rule.id, sent);
    }
    for (const object of objects) {
      if (!filterMatches(rule.filter, object)) continue;
      const previous = sent.get(object.key);
      const unchanged = type === TriggerType.TRIGGER_TYPE_ON_NEW_OBJECT ? previous !== undefined : previous === object.etag;
      if (!options.fullSync && unchanged) continue;
      sent.set(object.key, object.etag);
      seeds.push({ id: newId("job"), seq: ctx.tenant.nextSeq(), ruleId: rule.id, sourceId: source.id, pipelineId: rule.pipelineId, triggerId: options.runId, object });
    }
  }
  return seeds;
}

/** Handlers of the sync RPCs. */
export const syncHandlers: SyncHandlers = {
  triggerDiscovery(ctx, request) {
    requireId("source_id", request.sourceId);
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    const replayed = replay === undefined ? undefined : ctx.tenant.discoveryRuns.get(replay.id);
    if (replayed !== undefined) return { run: discoveryRunView(replayed, ctx.now) };
    const source = getSourceRecord(ctx.tenant, request.sourceId).source;
    const problem = listingProblem(source);
    const objectCount = problem === undefined ? deriveObjects(source).length : 0;
    const id = newId("disc");
    const run = { seq: ctx.tenant.nextSeq(), id, sourceId: source.id, createdAt: ctx.now, objectCount, ...scheduleDiscovery({ clock: ctx.clock, now: ctx.now, objectCount }) };
    if (problem !== undefined) Object.assign(run, { problem });
    ctx.tenant.discoveryRuns.set(id, run);
    const response = { run: discoveryRunView(run, ctx.now) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id, response });
    return response;
  },

  triggerIngestion(ctx, request) {
    requireId("source_id", request.sourceId);
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    const replayed = replay === undefined ? undefined : ctx.tenant.ingestionRuns.get(replay.id);
    if (replayed !== undefined) return { run: ingestionView(ctx, replayed) };
    const source = getSourceRecord(ctx.tenant, request.sourceId).source;
    const id = newId("run");
    const startAt = ctx.now + ctx.clock.scale(QUEUE_MS);
    const problem = listingProblem(source);
    const seeds = problem === undefined ? ingestionSeeds(ctx, { sourceId: source.id, runId: id, fullSync: request.fullSync }) : [];
    const jobs = scheduleJobs({ clock: ctx.clock, now: ctx.now, startAt, seeds });
    for (const job of jobs) ctx.tenant.jobs.set(job.id, job);
    const jobIds = [...jobs].sort((a, b) => (a.objectKey < b.objectKey ? -1 : a.objectKey > b.objectKey ? 1 : 0)).map((j) => j.id);
    const finishAt = jobs.length === 0 ? startAt + ctx.clock.scale(EMPTY_RUN_MS) : Math.max(...jobs.map(jobFinishAt));
    const run: IngestionRunRecord = { seq: ctx.tenant.nextSeq(), id, sourceId: source.id, fullSync: request.fullSync, createdAt: ctx.now, startAt, finishAt, jobIds };
    if (problem !== undefined) run.problem = problem;
    ctx.tenant.ingestionRuns.set(id, run);
    ctx.tenant.triggers.set(id, { id, jobIds });
    const response = { run: ingestionView(ctx, run) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id, response });
    return response;
  },

  getSyncStatus(ctx, request) {
    requireId("source_id", request.sourceId);
    const source = getSourceRecord(ctx.tenant, request.sourceId).source;
    const discovery = [...ctx.tenant.discoveryRuns.values()].filter((r) => r.sourceId === source.id).at(-1);
    const ingestion = [...ctx.tenant.ingestionRuns.values()].filter((r) => r.sourceId === source.id).at(-1);
    const status: { sourceId: string; discovery?: DiscoveryRun; ingestion?: IngestionRun } = { sourceId: source.id };
    if (discovery !== undefined) status.discovery = discoveryRunView(discovery, ctx.now);
    if (ingestion !== undefined) status.ingestion = ingestionView(ctx, ingestion);
    return { status };
  },
};
