// Scheduling and read-time views of discovery runs, ingestion runs and ingest jobs. When a
// run or job is made, its start and finish instants are fixed (deterministically from hashes
// of ids and keys, scaled by the clock); reading it computes QUEUED / RUNNING / terminal
// state, attempts and bytes from those instants and the current time. No timers run.
import { createHash } from "node:crypto";
import {
  IngestJobState,
  type DiscoveryRun,
  type IngestJob,
  type IngestJobCounts,
  type IngestionRun,
  RunState,
} from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Clock } from "./clock.js";
import { CORRUPT_OBJECT_ATTEMPTS, CORRUPT_OBJECT_ERROR, isCorruptKey, type SourceObject } from "./objects.js";
import type { DiscoveryRunRecord, IngestionRunRecord, JobRecord } from "./store.js";

/** Realistic time a run or job waits in its queue. */
export const QUEUE_MS = 200;
/** Realistic duration of a discovery run (plus 25 ms per object found). */
export const DISCOVERY_BASE_MS = 1_500;
/** Realistic bounds of one job attempt. */
export const JOB_ATTEMPT_MIN_MS = 1_000;
/** Realistic bounds of one job attempt. */
export const JOB_ATTEMPT_MAX_MS = 3_000;
/** Jobs of one trigger processed at the same time. */
export const JOB_LANES = 4;
/** Realistic duration of an ingestion run that makes no jobs. */
export const EMPTY_RUN_MS = 300;

const hashInt = (text: string): number => createHash("sha256").update(text).digest().readUInt32BE(0);
const date = (ms: number): Date => new Date(ms);

/** Fixes the instants of a discovery run made now. */
export function scheduleDiscovery(options: { clock: Clock; now: number; objectCount: number }): { startAt: number; finishAt: number } {
  const startAt = options.now + options.clock.scale(QUEUE_MS);
  return { startAt, finishAt: startAt + options.clock.scale(DISCOVERY_BASE_MS + 25 * options.objectCount) };
}

/** Fields of a job to make, before scheduling. */
export interface JobSeed {
  id: string;
  seq: number;
  ruleId: string;
  sourceId: string;
  pipelineId: string;
  triggerId: string;
  object: SourceObject;
}

/**
 * Schedules jobs made now on {@link JOB_LANES} lanes starting at `startAt`: each job starts
 * when a lane frees up; corrupt objects take {@link CORRUPT_OBJECT_ATTEMPTS} attempts and fail.
 */
export function scheduleJobs(options: { clock: Clock; now: number; startAt: number; seeds: readonly JobSeed[] }): JobRecord[] {
  const lanes = Array.from({ length: JOB_LANES }, () => options.startAt);
  return options.seeds.map((seed) => {
    const lane = lanes.indexOf(Math.min(...lanes));
    const attemptMs = options.clock.scale(JOB_ATTEMPT_MIN_MS + (hashInt(`${seed.id}|${seed.object.key}`) % (JOB_ATTEMPT_MAX_MS - JOB_ATTEMPT_MIN_MS)));
    const corrupt = isCorruptKey(seed.object.key);
    const attemptsNeeded = corrupt ? CORRUPT_OBJECT_ATTEMPTS : 1;
    const startAt = lanes[lane] as number;
    lanes[lane] = startAt + attemptMs * attemptsNeeded;
    const job: JobRecord = {
      seq: seed.seq, id: seed.id, ruleId: seed.ruleId, sourceId: seed.sourceId, pipelineId: seed.pipelineId,
      triggerId: seed.triggerId, objectKey: seed.object.key, size: seed.object.size, createdAt: options.now,
      startAt, attemptMs, attemptsNeeded,
    };
    if (corrupt) job.error = CORRUPT_OBJECT_ERROR;
    return job;
  });
}

/** When a job reaches its terminal state. */
export function jobFinishAt(job: JobRecord): number {
  return job.startAt + job.attemptMs * job.attemptsNeeded;
}

/** The job's state at `now`. */
export function jobState(job: JobRecord, now: number): IngestJobState {
  if (now < job.startAt) return IngestJobState.INGEST_JOB_STATE_QUEUED;
  if (now < jobFinishAt(job)) return IngestJobState.INGEST_JOB_STATE_RUNNING;
  return job.error === undefined ? IngestJobState.INGEST_JOB_STATE_SUCCEEDED : IngestJobState.INGEST_JOB_STATE_FAILED;
}

/** The job as the API shows it at `now`. */
export function jobView(job: JobRecord, now: number): IngestJob {
  const state = jobState(job, now);
  const view: IngestJob = {
    id: job.id, ruleId: job.ruleId, sourceId: job.sourceId, pipelineId: job.pipelineId, triggerId: job.triggerId,
    objectKey: job.objectKey, state, attempts: 0, bytes: "0", error: "", createTime: date(job.createdAt),
  };
  if (state === IngestJobState.INGEST_JOB_STATE_QUEUED) return view;
  view.startTime = date(job.startAt);
  if (state === IngestJobState.INGEST_JOB_STATE_RUNNING) {
    const elapsed = now - job.startAt;
    const attempt = Math.min(job.attemptsNeeded, Math.floor(elapsed / job.attemptMs) + 1);
    const progress = (elapsed - (attempt - 1) * job.attemptMs) / job.attemptMs;
    view.attempts = attempt;
    view.bytes = String(Math.floor(job.size * Math.min(1, progress)));
    return view;
  }
  view.attempts = job.attemptsNeeded;
  view.bytes = String(job.size);
  view.error = job.error ?? "";
  view.finishTime = date(jobFinishAt(job));
  return view;
}

/** Counts jobs by their state at `now`. */
export function countJobs(jobs: readonly JobRecord[], now: number): IngestJobCounts {
  const counts = { total: jobs.length, queued: 0, running: 0, succeeded: 0, failed: 0 };
  for (const job of jobs) {
    switch (jobState(job, now)) {
      case IngestJobState.INGEST_JOB_STATE_QUEUED: counts.queued += 1; break;
      case IngestJobState.INGEST_JOB_STATE_RUNNING: counts.running += 1; break;
      case IngestJobState.INGEST_JOB_STATE_SUCCEEDED: counts.succeeded += 1; break;
      default: counts.failed += 1;
    }
  }
  return {
    total: String(counts.total), queued: String(counts.queued), running: String(counts.running),
    succeeded: String(counts.succeeded), failed: String(counts.failed),
  };
}

/** The discovery run as the API shows it at `now`. */
export function discoveryRunView(run: DiscoveryRunRecord, now: number): DiscoveryRun {
  if (now < run.startAt) return { id: run.id, state: RunState.RUN_STATE_QUEUED, objectsDiscovered: "0", message: "" };
  const startTime = date(run.startAt);
  if (now < run.finishAt) {
    const found = run.problem === undefined ? Math.floor((run.objectCount * (now - run.startAt)) / (run.finishAt - run.startAt)) : 0;
    return { id: run.id, state: RunState.RUN_STATE_RUNNING, startTime, objectsDiscovered: String(found), message: "" };
  }
  const failed = run.problem !== undefined;
  return {
    id: run.id, state: failed ? RunState.RUN_STATE_FAILED : RunState.RUN_STATE_SUCCEEDED, startTime,
    finishTime: date(run.finishAt), objectsDiscovered: failed ? "0" : String(run.objectCount), message: run.problem ?? "",
  };
}

/**
 * The ingestion run as the API shows it at `now`: RUNNING until its last job is terminal,
 * then SUCCEEDED (objects_failed counts the failed jobs and message says how many) or
 * FAILED when the source could not be listed.
 */
export function ingestionRunView(run: IngestionRunRecord, jobs: readonly JobRecord[], now: number): IngestionRun {
  const base = { id: run.id, fullSync: run.fullSync };
  if (now < run.startAt) return { ...base, state: RunState.RUN_STATE_QUEUED, objectsIngested: "0", objectsFailed: "0", message: "" };
  const counts = countJobs(jobs, now);
  const progress = { startTime: date(run.startAt), objectsIngested: counts.succeeded, objectsFailed: counts.failed };
  if (now < run.finishAt) return { ...base, ...progress, state: RunState.RUN_STATE_RUNNING, message: "" };
  if (run.problem !== undefined) {
    return { ...base, ...progress, state: RunState.RUN_STATE_FAILED, finishTime: date(run.finishAt), message: run.problem };
  }
  const message = counts.failed === "0" ? "" : `${counts.failed} of ${counts.total} objects failed`;
  return { ...base, ...progress, state: RunState.RUN_STATE_SUCCEEDED, finishTime: date(run.finishAt), message };
}
