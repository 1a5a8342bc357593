// SCHEDULE rules fire on their own: every cron time of an enabled rule makes one job per object
// its filter matches, as a TriggerIngest without keys would. Like runs, nothing runs on a
// timer: before each call, the tenant's due cron times since the last look are turned into
// jobs created at those times, so a test that moves an injected clock sees exactly the jobs
// the schedule owes (DESIGN 2.1: schedules belong to the service, never to the operator).
import { TriggerType } from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { CallContext } from "./context.js";
import { fireTimesBetween, nextFireAfter } from "./cron.js";
import { filterMatches } from "./object-filter.js";
import { deriveObjects, listingProblem } from "./objects.js";
import { QUEUE_MS, scheduleJobs } from "./runs.js";
import { newId, type RuleRecord } from "./store.js";

/**
 * Cron times one look fires at most per rule (the newest ones): a clock moved far ahead
 * catches up with the latest runs instead of flooding the tenant, as a Kubernetes CronJob
 * that missed many starts runs only once.
 */
export const MAX_CATCH_UP_FIRES = 10;

/** Fires one cron time of a rule: jobs for every matching object, unless the rule cannot run. */
function fire(ctx: CallContext, record: RuleRecord, at: number): void {
  const rule = record.rule;
  const source = ctx.tenant.sources.get(rule.sourceId)?.source;
  // What TriggerIngest refuses with FAILED_PRECONDITION makes no scheduled jobs either.
  if (source === undefined || !ctx.tenant.pipelines.has(rule.pipelineId) || listingProblem(source) !== undefined) return;
  const triggerId = newId("trg");
  const seeds = deriveObjects(source)
    .filter((object) => filterMatches(rule.filter, object))
    .map((object) => ({ id: newId("job"), seq: ctx.tenant.nextSeq(), ruleId: rule.id, sourceId: source.id, pipelineId: rule.pipelineId, triggerId, object }));
  const jobs = scheduleJobs({ clock: ctx.clock, now: at, startAt: at + ctx.clock.scale(QUEUE_MS), seeds });
  for (const job of jobs) ctx.tenant.jobs.set(job.id, job);
  ctx.tenant.triggers.set(triggerId, { id: triggerId, jobIds: jobs.map((j) => j.id) });
}

/** Makes the jobs of every enabled SCHEDULE rule of the caller's tenant whose cron times are due. */
export function fireDueSchedules(ctx: CallContext): void {
  for (const record of ctx.tenant.rules.values()) {
    if (record.scheduledThrough >= ctx.now) continue;
    const { trigger, enabled } = record.rule;
    if (trigger?.type === TriggerType.TRIGGER_TYPE_SCHEDULE && enabled) {
      const { schedule } = trigger;
      // The cached next cron time only gates the work (cron math costs ~150 µs a rule);
      // fireTimesBetween decides what fires.
      if (record.nextFire?.schedule !== schedule) record.nextFire = { schedule, at: nextFireAfter(schedule, record.scheduledThrough) };
      if (record.nextFire.at <= ctx.now) {
        const due = fireTimesBetween(schedule, record.scheduledThrough, ctx.now, MAX_CATCH_UP_FIRES);
        for (const at of due.reverse()) fire(ctx, record, at);
        record.nextFire = { schedule, at: nextFireAfter(schedule, ctx.now) };
      }
    }
    // Every rule advances, fired or not: a rule enabled again, or given a (new) schedule by an
    // UpdateRule, counts from that call on, without backfilling the times it was not scheduled.
    record.scheduledThrough = ctx.now;
  }
}
