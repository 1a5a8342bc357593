import type { K3IngestJob, K3IngestRule } from "../../api/gen/index.js";
import { isReady } from "../../api/conditions.js";
import { ingestv1, type K3Client } from "../../grpc/index.js";
import { keyOf, type RunAdapter, type RunProgress } from "../../runtime/index.js";
import { classifyK3Error, summarizeK3Error } from "../classify.js";
import type { Connections } from "../connection.js";
import { jobStateName } from "../rule/jobs.js";

/** At most this many per-object jobs are listed in status (failed ones first); counts cover all. */
export const maxListedJobs = 1000;

/** Options of the K3IngestJob adapter. */
export interface JobAdapterOptions {
  connections: Connections;
  rules: { get(key: string): K3IngestRule | undefined };
  /** appended to "not found": where the rule cache looked (a shard's objects only); empty unless given */
  lookedIn?: string;
}

function jobEntry(j: ingestv1.IngestJob): Record<string, unknown> {
  return {
    id: j.id,
    objectKey: j.objectKey,
    state: jobStateName(j.state),
    attempts: j.attempts,
    bytes: Number(j.bytes),
    error: j.error || undefined,
    startTime: j.startTime?.toISOString(),
    finishTime: j.finishTime?.toISOString(),
  };
}

/** Every per-object job of a trigger: GetIngestStatus, then ListIngestJobs pages when the run is larger than one answer. */
async function readRun(k3: K3Client, triggerId: string): Promise<{ jobs: ingestv1.IngestJob[]; counts: ingestv1.IngestJobCounts; done: boolean }> {
  const answer = await k3.ingest.getIngestStatus({ triggerId });
  const counts = answer.counts ?? { total: "0", queued: "0", running: "0", succeeded: "0", failed: "0" };
  let jobs = answer.jobs;
  if (jobs.length < Number(counts.total)) {
    jobs = [];
    let pageToken = "";
    do {
      const page = await k3.ingest.listIngestJobs({ triggerId, pageSize: 500, pageToken });
      jobs.push(...page.jobs);
      pageToken = page.nextPageToken;
    } while (pageToken && jobs.length < maxListedJobs * 10);
  }
  return { jobs, counts, done: answer.done };
}

function progressOf(obj: K3IngestJob, triggerId: string, run: Awaited<ReturnType<typeof readRun>>): RunProgress {
  const n = (v: string | undefined): number => Number(v ?? 0);
  const counts = { total: n(run.counts.total), queued: n(run.counts.queued), running: n(run.counts.running), succeeded: n(run.counts.succeeded), failed: n(run.counts.failed) };
  const failedFirst = [...run.jobs].sort((a, b) => Number(b.state === ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED) - Number(a.state === ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED));
  const status = { triggerId, counts, jobs: failedFirst.slice(0, maxListedJobs).map(jobEntry) };
  const tolerated = obj.spec.maxFailedObjects ?? 0;
  if (!run.done) return { status, outcome: "running", message: `${counts.succeeded + counts.failed} of ${counts.total} objects done, ${counts.failed} failed` };
  if (counts.failed > tolerated) {
    const keys = run.jobs.filter((j) => j.state === ingestv1.IngestJobState.INGEST_JOB_STATE_FAILED).slice(0, 5).map((j) => `${j.objectKey} (${j.error})`);
    return { status, outcome: "failed", reason: "ObjectsFailed", message: `${counts.failed} of ${counts.total} objects failed (${tolerated} tolerated): ${keys.join("; ")}` };
  }
  return { status, outcome: "succeeded", reason: "Completed", message: `${counts.succeeded} of ${counts.total} objects ingested${counts.failed ? `, ${counts.failed} failed (tolerated)` : ""}` };
}

/**
 * The K3IngestJob adapter of the run reconciler: TriggerIngest once for the rule's remote id
 * (with the rule's connection), then GetIngestStatus until every per-object job is terminal.
 */
export function newJobAdapter(options: JobAdapterOptions): RunAdapter<K3IngestJob> {
  const ruleOf = (obj: K3IngestJob): K3IngestRule | undefined => options.rules.get(keyOf(obj.metadata.namespace, obj.spec.ruleRef.name));
  // A job inherits its rule's connection (one tenant per chain); its recorded rule id outlives the rule object.
  const client = async (obj: K3IngestJob): Promise<K3Client> => {
    const rule = ruleOf(obj);
    return options.connections.forObject({ metadata: obj.metadata, spec: { connectionRef: rule?.spec.connectionRef } });
  };
  return {
    classify: classifyK3Error,
    summarize: summarizeK3Error,
    runId: (obj) => obj.status?.triggerId || undefined,
    ttlSecondsAfterFinished: (obj) => obj.spec.ttlSecondsAfterFinished,
    prepare(obj) {
      const rule = ruleOf(obj);
      if (!rule) return { ready: false, message: `waiting for K3IngestRule ${obj.spec.ruleRef.name} (not found${options.lookedIn ?? ""})` };
      if (!rule.status?.ruleId || !isReady(rule)) return { ready: false, message: `waiting for K3IngestRule ${obj.spec.ruleRef.name} (not Ready)` };
      return { ready: true };
    },
    async start(obj, { requestId }) {
      const ruleId = ruleOf(obj)?.status?.ruleId ?? "";
      const k3 = await client(obj);
      const { triggerId } = await k3.ingest.triggerIngest({ ruleId, objectKeys: obj.spec.objectKeys ?? [], requestId });
      const progress = progressOf(obj, triggerId, await readRun(k3, triggerId));
      return { ...progress, runId: triggerId, status: { ...progress.status, ruleId } };
    },
    async poll(obj, triggerId) {
      return progressOf(obj, triggerId, await readRun(await client(obj), triggerId));
    },
  };
}
