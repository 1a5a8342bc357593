import { describe, expect, it } from "vitest";
import { IngestJobState, RunState } from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { createClock } from "./clock.js";
import { countJobs, discoveryRunView, ingestionRunView, jobFinishAt, jobView, scheduleDiscovery, scheduleJobs } from "./runs.js";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const clock = createClock({ timeScale: 1, now: () => T0 });

function seeds(keys: string[]) {
  return keys.map((key, i) => ({ id: `job_${i}`, seq: i + 1, ruleId: "r", sourceId: "s", pipelineId: "p", triggerId: "t", object: { key, size: 1000, mimeType: "application/pdf", etag: "e" } }));
}

describe("jobs", () => {
  const [ok, corrupt] = scheduleJobs({ clock, now: T0, startAt: T0 + 200, seeds: seeds(["a.pdf", "corrupt-b.pdf"]) });

  it("start on free lanes with attempts of 1..3 s", () => {
    expect(ok!.startAt).toBe(T0 + 200);
    expect(corrupt!.startAt).toBe(T0 + 200);
    expect(ok!.attemptMs).toBeGreaterThanOrEqual(1000);
    expect(ok!.attemptMs).toBeLessThan(3000);
  });

  it("queue more jobs than lanes behind the earliest free lane", () => {
    const many = scheduleJobs({ clock, now: T0, startAt: T0, seeds: seeds(["1", "2", "3", "4", "5"]) });
    const firstFourEnds = many.slice(0, 4).map(jobFinishAt);
    expect(many[4]!.startAt).toBe(Math.min(...firstFourEnds));
  });

  it.each([
    { reason: "before start: queued, nothing read", at: () => T0 + 100, state: IngestJobState.INGEST_JOB_STATE_QUEUED, attempts: 0 },
    { reason: "half way: running, half the bytes", at: () => ok!.startAt + ok!.attemptMs / 2, state: IngestJobState.INGEST_JOB_STATE_RUNNING, attempts: 1, bytes: "500" },
    { reason: "after finish: succeeded with every byte", at: () => jobFinishAt(ok!), state: IngestJobState.INGEST_JOB_STATE_SUCCEEDED, attempts: 1, bytes: "1000" },
  ])("a good job $reason", ({ at, state, attempts, bytes }) => {
    const view = jobView(ok!, at());
    expect(view).toMatchObject({ state, attempts });
    if (bytes !== undefined) expect(view.bytes).toBe(bytes);
  });

  it("a corrupt job retries three times, then fails with the documented error", () => {
    expect(jobView(corrupt!, corrupt!.startAt + corrupt!.attemptMs * 1.5)).toMatchObject({ state: IngestJobState.INGEST_JOB_STATE_RUNNING, attempts: 2 });
    expect(jobView(corrupt!, jobFinishAt(corrupt!))).toMatchObject({
      state: IngestJobState.INGEST_JOB_STATE_FAILED, attempts: 3, error: "cannot parse object: corrupt content", finishTime: new Date(jobFinishAt(corrupt!)),
    });
  });

  it("are counted by state", () => {
    expect(countJobs([ok!, corrupt!], jobFinishAt(ok!))).toMatchObject({ total: "2", succeeded: "1", running: "1" });
  });
});

describe("runs", () => {
  it("a discovery run is queued, then running with partial counts, then done; scaled by timeScale", () => {
    const fast = createClock({ timeScale: 0.001 });
    const times = scheduleDiscovery({ clock: fast, now: T0, objectCount: 10 });
    // Epoch milliseconds carry ~0.0001 ms of float precision, plenty for scaled durations.
    expect(times.finishAt - T0).toBeCloseTo(0.2 + 1.75, 3);
    const run = { seq: 1, id: "d", sourceId: "s", createdAt: T0, objectCount: 10, ...scheduleDiscovery({ clock, now: T0, objectCount: 10 }) };
    expect(discoveryRunView(run, T0).state).toBe(RunState.RUN_STATE_QUEUED);
    expect(discoveryRunView(run, T0 + 200 + 875)).toMatchObject({ state: RunState.RUN_STATE_RUNNING, objectsDiscovered: "5" });
    expect(discoveryRunView(run, run.finishAt)).toMatchObject({ state: RunState.RUN_STATE_SUCCEEDED, objectsDiscovered: "10" });
    expect(discoveryRunView({ ...run, problem: "nope" }, run.finishAt)).toMatchObject({ state: RunState.RUN_STATE_FAILED, objectsDiscovered: "0", message: "nope" });
  });

  it("an ingestion run finishes with its last job and aggregates counts", () => {
    const jobs = scheduleJobs({ clock, now: T0, startAt: T0 + 200, seeds: seeds(["a", "corrupt-b", "c"]) });
    const finishAt = Math.max(...jobs.map(jobFinishAt));
    const run = { seq: 9, id: "run", sourceId: "s", fullSync: true, createdAt: T0, startAt: T0 + 200, finishAt, jobIds: jobs.map((j) => j.id) };
    expect(ingestionRunView(run, jobs, T0 + 300).state).toBe(RunState.RUN_STATE_RUNNING);
    expect(ingestionRunView(run, jobs, finishAt)).toMatchObject({ state: RunState.RUN_STATE_SUCCEEDED, objectsIngested: "2", objectsFailed: "1", fullSync: true, message: "1 of 3 objects failed" });
  });
});
