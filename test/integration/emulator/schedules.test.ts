// SCHEDULE rules fire on their own at their cron times (UTC), computed from the emulator's
// clock when read: moving an injected clock past a cron time makes exactly that fire's jobs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IngestJobState, TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Source } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { deriveObjects } from "../../../src/emulator/index.js";
import { MAX_CATCH_UP_FIRES } from "../../../src/emulator/schedules.js";
import { pipelineInput, s3SourceInput, startTestEnv, type TestEnv } from "./support.js";

const HOUR = 3_600_000;
const START = Date.parse("2026-06-01T10:30:00Z");

describe("scheduled rules", () => {
  let env: TestEnv;
  let now = START;
  let source: Source;
  let pipelineId: string;
  let n = 0;
  const scheduledRule = async (schedule: string, overrides: Record<string, unknown> = {}) =>
    (await env.k3.ingest.createRule({
      rule: { displayName: `sched-${++n}`, sourceId: source.id, pipelineId, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule }, ...overrides },
    })).rule!;
  const jobsOfRule = async (ruleId: string) => (await env.k3.ingest.listIngestJobs({ ruleId, pageSize: 1000 })).jobs;

  beforeAll(async () => {
    env = await startTestEnv({ now: () => now });
    source = (await env.k3.source.createSource({ source: s3SourceInput("sched-src") })).source!;
    pipelineId = (await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("sched-pl") })).pipeline!.id;
  });
  beforeEach(() => {
    now = START;
  });
  afterAll(async () => env.close());

  it("makes no job before the first cron time, then one per matching object at each", async () => {
    const objects = deriveObjects(source);
    const rule = await scheduledRule("0 * * * *");
    now = START + 29 * 60_000; // 10:59
    expect(await jobsOfRule(rule.id)).toEqual([]);
    now = START + 30 * 60_000; // 11:00 exactly
    const first = await jobsOfRule(rule.id);
    expect(first.map((j) => j.objectKey).sort()).toEqual(objects.map((o) => o.key).sort());
    expect(new Set(first.map((j) => j.triggerId)).size).toBe(1);
    expect(first.every((j) => j.createTime?.toISOString() === "2026-06-01T11:00:00.000Z")).toBe(true);
    now = START + 30 * 60_000 + 2 * HOUR + 5; // 13:00:00.005: the 12:00 and 13:00 fires
    const later = await jobsOfRule(rule.id);
    expect(later).toHaveLength(3 * objects.length);
    expect([...new Set(later.map((j) => j.createTime?.toISOString()))].sort())
      .toEqual(["2026-06-01T11:00:00.000Z", "2026-06-01T12:00:00.000Z", "2026-06-01T13:00:00.000Z"]);
    expect(await jobsOfRule(rule.id), "reading again fires nothing new").toHaveLength(3 * objects.length);
  });

  it("jobs of a fire progress from its cron time like a TriggerIngest's", async () => {
    const rule = await scheduledRule("45 10 * * *");
    now = START + 15 * 60_000; // 10:45, the fire instant: still queued
    expect((await jobsOfRule(rule.id)).every((j) => j.state === IngestJobState.INGEST_JOB_STATE_QUEUED)).toBe(true);
    now = START + 15 * 60_000 + HOUR; // an hour later: all terminal
    const jobs = await jobsOfRule(rule.id);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((j) => j.finishTime !== undefined)).toBe(true);
  });

  it("applies the rule's filter", async () => {
    const rule = await scheduledRule("0 11 * * *", { filter: { includePaths: ["**/*.pdf"], excludePaths: [], mimeTypes: [], maxObjectSizeBytes: "0" } });
    now = START + HOUR;
    const keys = (await jobsOfRule(rule.id)).map((j) => j.objectKey);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBeLessThan(deriveObjects(source).length);
    expect(keys.every((k) => k.endsWith(".pdf"))).toBe(true);
  });

  it(`catches up with at most the ${MAX_CATCH_UP_FIRES} newest fires after a long jump`, async () => {
    const rule = await scheduledRule("* * * * *");
    now = START + 5 * 24 * HOUR; // five days of minutes (the test token lives a week)
    const jobs = await jobsOfRule(rule.id);
    expect(new Set(jobs.map((j) => j.triggerId)).size).toBe(MAX_CATCH_UP_FIRES);
    expect(Math.max(...jobs.map((j) => j.createTime!.getTime()))).toBe(Date.parse("2026-06-06T10:30:00Z"));
  });

  it("a disabled rule, a MANUAL rule and a rule whose pipeline is gone make no scheduled jobs", async () => {
    const disabled = await scheduledRule("0 * * * *", { enabled: false });
    const manual = (await env.k3.ingest.createRule({
      rule: { displayName: "manual-one", sourceId: source.id, pipelineId, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } },
    })).rule!;
    const ownPipeline = (await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("sched-gone") })).pipeline!.id;
    const orphan = await scheduledRule("0 * * * *", { pipelineId: ownPipeline });
    await env.k3.pipeline.deletePipeline({ id: ownPipeline });
    now = START + 3 * HOUR;
    expect(await jobsOfRule(disabled.id)).toEqual([]);
    expect(await jobsOfRule(manual.id)).toEqual([]);
    expect(await jobsOfRule(orphan.id)).toEqual([]);
  });

  it("a rule enabled again, or given a new schedule, counts from then on (no backfill)", async () => {
    const rule = await scheduledRule("0 * * * *", { enabled: false });
    now = START + 5 * HOUR; // 15:30: five missed fires while disabled
    await env.k3.ingest.updateRule({ rule: { id: rule.id, enabled: true }, updateMask: ["enabled"] });
    expect(await jobsOfRule(rule.id)).toEqual([]);
    now = START + 5.5 * HOUR; // 16:00
    expect(new Set((await jobsOfRule(rule.id)).map((j) => j.triggerId)).size).toBe(1);
    await env.k3.ingest.updateRule({ rule: { id: rule.id, trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "30 * * * *" } }, updateMask: ["trigger"] });
    now = START + 6 * HOUR; // 16:30: one fire of the new schedule, none of the old one's 16:00
    const jobs = await jobsOfRule(rule.id);
    expect([...new Set(jobs.map((j) => j.createTime?.toISOString()))].sort()).toEqual(["2026-06-01T16:00:00.000Z", "2026-06-01T16:30:00.000Z"]);
  });

  it("a MANUAL rule turned into a SCHEDULE one fires from then on, not since its creation", async () => {
    const rule = (await env.k3.ingest.createRule({
      rule: { displayName: "manual-then-sched", sourceId: source.id, pipelineId, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } },
    })).rule!;
    now = START + 3 * HOUR; // 13:30
    await env.k3.ingest.updateRule({ rule: { id: rule.id, trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "0 * * * *" } }, updateMask: ["trigger"] });
    expect(await jobsOfRule(rule.id)).toEqual([]);
    now = START + 3.5 * HOUR; // 14:00
    expect([...new Set((await jobsOfRule(rule.id)).map((j) => j.createTime?.toISOString()))]).toEqual(["2026-06-01T14:00:00.000Z"]);
  });

  it("fires are per tenant: another tenant's call does not make this tenant's jobs visible to it", async () => {
    const rule = await scheduledRule("0 11 * * *");
    now = START + HOUR;
    const other = env.client("someone-else");
    expect((await other.ingest.listIngestJobs({ pageSize: 1000 })).jobs).toEqual([]);
    expect((await jobsOfRule(rule.id)).length).toBeGreaterThan(0);
  });
});
