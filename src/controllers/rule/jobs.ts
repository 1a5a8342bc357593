import { CronExpressionParser } from "cron-parser";
import type { K3IngestRule } from "../../api/gen/index.js";
import { ingestv1, type K3Client } from "../../grpc/index.js";
import type { RecordedEvent, Status } from "../../runtime/index.js";

/** How often a rule with queued or running jobs is polled; an idle rule is not polled at all. */
export const activeJobsPollMs = 2_000;

const jobStates: Partial<Record<ingestv1.IngestJobState, string>> = {
  [ingestv1.IngestJobState.INGEST_JOB_STATE_QUEUED]: "Queued",
  [ingestv1.IngestJobState.INGEST_JOB_STATE_RUNNING]: "Running",
  [ingestv1.IngestJobState.INGEST_JOB_STATE_SUCCEEDED]: "Succeeded",
  [ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED]: "Failed",
};

/** The name of an ingest job's state as the CRDs spell it. */
export function jobStateName(state: ingestv1.IngestJobState): string | undefined {
  return jobStates[state];
}

/** One job as the rule's status lists it. */
export function jobSummary(j: ingestv1.IngestJob): Record<string, string | undefined> {
  return {
    id: j.id,
    objectKey: j.objectKey,
    state: jobStates[j.state],
    startTime: j.startTime?.toISOString(),
    finishTime: j.finishTime?.toISOString(),
    error: j.error || undefined,
  };
}

/** True while the rule's status shows jobs that will still change. */
export function hasActiveJobs(obj: K3IngestRule): boolean {
  return (obj.status?.jobs?.queued ?? 0) + (obj.status?.jobs?.running ?? 0) > 0;
}

/**
 * Reads the rule's job summary: the count of each state (page_size 1 + total_size, four small
 * reads) and the newest `limit` jobs, recorded with the digest of the triggers they were read
 * for. A Warning event for each failed job not seen failed before.
 */
export async function observeJobs(k3: K3Client, obj: K3IngestRule, ruleId: string, observedTriggers: string): Promise<{ status: Status; events: RecordedEvent[]; active: boolean }> {
  const limit = obj.spec.jobHistoryLimit ?? 10;
  const count = async (state: ingestv1.IngestJobState): Promise<number> => (await k3.ingest.listIngestJobs({ ruleId, state, pageSize: 1 })).totalSize;
  const [queued, running, succeeded, failed, recentPage] = await Promise.all([
    count(ingestv1.IngestJobState.INGEST_JOB_STATE_QUEUED),
    count(ingestv1.IngestJobState.INGEST_JOB_STATE_RUNNING),
    count(ingestv1.IngestJobState.INGEST_JOB_STATE_SUCCEEDED),
    count(ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED),
    limit > 0 ? k3.ingest.listIngestJobs({ ruleId, pageSize: limit }) : Promise.resolve({ jobs: [] as ingestv1.IngestJob[] }),
  ]);
  const recent = recentPage.jobs.slice(0, limit);
  const seenFailed = new Set((obj.status?.jobs?.recent ?? []).filter((j) => j.state === "Failed").map((j) => j.id));
  const events: RecordedEvent[] = recent
    .filter((j) => j.state === ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED && !seenFailed.has(j.id))
    .map((j) => ({ type: "Warning", reason: "IngestJobFailed", message: `ingest job ${j.id} of ${j.objectKey} failed after ${j.attempts} attempt(s): ${j.error}` }));
  const newest = recent[0];
  return {
    status: { jobs: { queued, running, succeeded, failed, lastJob: newest ? jobSummary(newest) : undefined, recent: recent.map(jobSummary), observedTriggers } },
    events,
    active: queued + running > 0,
  };
}

/** The last and next fire times of a Schedule rule's cron (UTC), as the service computes them. */
export function scheduleTimes(schedule: string, now: Date): { last: number; next: number } | undefined {
  try {
    const prev = CronExpressionParser.parse(schedule, { currentDate: now, tz: "UTC" }).prev().getTime();
    const next = CronExpressionParser.parse(schedule, { currentDate: now, tz: "UTC" }).next().getTime();
    return { last: prev, next };
  } catch {
    return undefined;
  }
}
