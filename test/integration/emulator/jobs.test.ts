// IngestService job RPCs: TriggerIngest makes per-object jobs for one rule, which progress
// to terminal states (the corrupt object fails after three attempts); GetIngestStatus and
// ListIngestJobs report them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestJobState, TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Source } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { CORRUPT_OBJECT_ERROR, deriveObjects } from "../../../src/emulator/index.js";
import { expectGrpcError, GrpcStatus, pipelineInput, pollUntil, s3SourceInput, startTestEnv, type TestEnv, violatedFields } from "./support.js";

describe("ingest jobs", () => {
  let env: TestEnv;
  let source: Source;
  let pipelineId: string;
  let ruleId: string;
  const makeRule = async (displayName: string, overrides: Record<string, unknown> = {}) =>
    (await env.k3.ingest.createRule({ rule: { displayName, sourceId: source.id, pipelineId, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL }, ...overrides } })).rule!;

  beforeAll(async () => {
    env = await startTestEnv();
    source = (await env.k3.source.createSource({ source: s3SourceInput("jobs-src") })).source!;
    pipelineId = (await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("jobs-pl") })).pipeline!.id;
    ruleId = (await makeRule("jobs-rule")).id;
  });
  afterAll(async () => env.close());

  it("TriggerIngest of every matching object runs to terminal states, the corrupt one failing after 3 attempts", async () => {
    const objects = deriveObjects(source);
    const { triggerId, jobs } = await env.k3.ingest.triggerIngest({ ruleId });
    expect(triggerId).toMatch(/^trg_/);
    expect(jobs.map((j) => j.objectKey)).toEqual(objects.map((o) => o.key));
    expect(jobs.every((j) => j.state === IngestJobState.INGEST_JOB_STATE_QUEUED && j.attempts === 0 && j.bytes === "0")).toBe(true);
    const status = await pollUntil(() => env.k3.ingest.getIngestStatus({ triggerId }), (s) => s.done);
    expect(status.counts).toEqual({ total: String(objects.length), queued: "0", running: "0", succeeded: String(objects.length - 1), failed: "1" });
    for (const job of status.jobs) {
      const object = objects.find((o) => o.key === job.objectKey)!;
      expect(job.startTime).toBeInstanceOf(Date);
      expect(job.finishTime!.getTime()).toBeGreaterThanOrEqual(job.startTime!.getTime());
      expect(job.bytes).toBe(String(object.size));
      if (object.key.includes("corrupt")) expect(job).toMatchObject({ state: IngestJobState.INGEST_JOB_STATE_FAILED, attempts: 3, error: CORRUPT_OBJECT_ERROR });
      else expect(job).toMatchObject({ state: IngestJobState.INGEST_JOB_STATE_SUCCEEDED, attempts: 1, error: "" });
    }
  });

  it("TriggerIngest of given keys makes one job per distinct key, whatever the rule's filter", async () => {
    const rule = await makeRule("png-only", { filter: { mimeTypes: ["image/png"] } });
    const keys = deriveObjects(source).filter((o) => o.mimeType !== "image/png").slice(0, 2).map((o) => o.key);
    const { jobs } = await env.k3.ingest.triggerIngest({ ruleId: rule.id, objectKeys: [...keys, keys[0]!] });
    expect(jobs.map((j) => j.objectKey)).toEqual([...keys].sort());
  });

  it("TriggerIngest refuses an unknown key (INVALID_ARGUMENT object_keys[i]) and makes nothing", async () => {
    const before = (await env.k3.ingest.listIngestJobs({ ruleId })).totalSize;
    const key = deriveObjects(source)[0]!.key;
    const details = await expectGrpcError(env.k3.ingest.triggerIngest({ ruleId, objectKeys: [key, "no/such.pdf"] }), GrpcStatus.INVALID_ARGUMENT);
    expect(details.fieldViolations).toEqual([{ field: "object_keys[1]", description: `source ${source.id} has no object "no/such.pdf"`, reason: "OBJECT_NOT_FOUND" }]);
    expect((await env.k3.ingest.listIngestJobs({ ruleId })).totalSize).toBe(before);
  });

  it("TriggerIngest answers FAILED_PRECONDITION for a disabled rule and a rule whose pipeline is gone, NOT_FOUND for an unknown rule", async () => {
    const disabled = await makeRule("disabled", { enabled: false });
    expect((await expectGrpcError(env.k3.ingest.triggerIngest({ ruleId: disabled.id }), GrpcStatus.FAILED_PRECONDITION)).errorInfo?.reason).toBe("RULE_DISABLED");
    const pl = (await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("doomed") })).pipeline!.id;
    const orphan = await makeRule("orphan", { pipelineId: pl });
    await env.k3.pipeline.deletePipeline({ id: pl });
    expect((await expectGrpcError(env.k3.ingest.triggerIngest({ ruleId: orphan.id }), GrpcStatus.FAILED_PRECONDITION)).errorInfo?.reason).toBe("PIPELINE_NOT_FOUND");
    await expectGrpcError(env.k3.ingest.triggerIngest({ ruleId: "rule_nope" }), GrpcStatus.NOT_FOUND);
    expect(violatedFields(await expectGrpcError(env.k3.ingest.triggerIngest({}), GrpcStatus.INVALID_ARGUMENT))).toEqual(["rule_id"]);
  });

  it("TriggerIngest with a repeated request_id returns the first trigger and its jobs", async () => {
    const first = await env.k3.ingest.triggerIngest({ ruleId, requestId: "ti-1" });
    const again = await env.k3.ingest.triggerIngest({ ruleId, requestId: "ti-1" });
    expect(again.triggerId).toBe(first.triggerId);
    expect(again.jobs.map((j) => j.id)).toEqual(first.jobs.map((j) => j.id));
    expect((await env.k3.ingest.listIngestJobs({ triggerId: first.triggerId })).totalSize).toBe(first.jobs.length);
  });

  it("GetIngestStatus answers NOT_FOUND for an unknown trigger and INVALID_ARGUMENT without one", async () => {
    expect((await expectGrpcError(env.k3.ingest.getIngestStatus({ triggerId: "trg_nope" }), GrpcStatus.NOT_FOUND)).errorInfo?.reason).toBe("TRIGGER_NOT_FOUND");
    expect(violatedFields(await expectGrpcError(env.k3.ingest.getIngestStatus({}), GrpcStatus.INVALID_ARGUMENT))).toEqual(["trigger_id"]);
  });

  describe("ListIngestJobs", () => {
    it("lists newest first with total_size, filters by rule, source, trigger and state, and pages", async () => {
      const k3 = env.client("job-list");
      const src = (await k3.source.createSource({ source: s3SourceInput("jl-src") })).source!;
      const pl = (await k3.pipeline.createPipeline({ pipeline: pipelineInput("jl-pl") })).pipeline!.id;
      const rule = (await k3.ingest.createRule({ rule: { displayName: "jl", sourceId: src.id, pipelineId: pl, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } } })).rule!;
      const older = await k3.ingest.triggerIngest({ ruleId: rule.id });
      const newer = await k3.ingest.triggerIngest({ ruleId: rule.id });
      await pollUntil(() => k3.ingest.getIngestStatus({ triggerId: newer.triggerId }), (s) => s.done);
      await pollUntil(() => k3.ingest.getIngestStatus({ triggerId: older.triggerId }), (s) => s.done);
      const total = older.jobs.length + newer.jobs.length;

      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await k3.ingest.listIngestJobs({ ruleId: rule.id, pageSize: 10, pageToken: token });
        expect(page.totalSize).toBe(total);
        seen.push(...page.jobs.map((j) => j.id));
        token = page.nextPageToken;
        pages += 1;
      } while (token !== "");
      expect(pages).toBe(Math.ceil(total / 10));
      expect(seen).toEqual([...[...newer.jobs].reverse(), ...[...older.jobs].reverse()].map((j) => j.id));

      const failed = await k3.ingest.listIngestJobs({ sourceId: src.id, state: IngestJobState.INGEST_JOB_STATE_FAILED });
      expect(failed.totalSize).toBe(2);
      expect(failed.jobs.every((j) => j.error === CORRUPT_OBJECT_ERROR)).toBe(true);
      expect((await k3.ingest.listIngestJobs({ triggerId: older.triggerId })).jobs.map((j) => j.id)).toEqual([...older.jobs].reverse().map((j) => j.id));
      expect((await k3.ingest.listIngestJobs({ ruleId: "rule_other" })).totalSize).toBe(0);
      const first = await k3.ingest.listIngestJobs({ ruleId: rule.id, pageSize: 5 });
      await expectGrpcError(k3.ingest.listIngestJobs({ ruleId: rule.id, pageSize: 5, pageToken: first.nextPageToken, state: IngestJobState.INGEST_JOB_STATE_FAILED }), GrpcStatus.INVALID_ARGUMENT);
      await expectGrpcError(k3.ingest.listIngestJobs({ pageSize: -1 }), GrpcStatus.INVALID_ARGUMENT);
    });

    it("keeps a deleted rule's jobs listable", async () => {
      const rule = await makeRule("short-rule");
      const { triggerId, jobs } = await env.k3.ingest.triggerIngest({ ruleId: rule.id });
      await env.k3.ingest.deleteRule({ id: rule.id });
      expect((await env.k3.ingest.listIngestJobs({ ruleId: rule.id })).totalSize).toBe(jobs.length);
      expect((await env.k3.ingest.getIngestStatus({ triggerId })).jobs).toHaveLength(jobs.length);
    });
  });
});
