// IngestService sync RPCs: discovery and ingestion runs progress QUEUED → RUNNING →
// SUCCEEDED/FAILED over the emulator clock; ingestion makes per-object jobs for the
// source's enabled rules, including a deterministic failure for the corrupt object.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestJobState, RunState, TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { SourceStatus, SourceType } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { CORRUPT_OBJECT_ERROR, deriveObjects } from "../../../src/emulator/index.js";
import type { K3TestClient } from "../../../src/emulator/test-client.js";
import { expectGrpcError, GrpcStatus, pipelineInput, pollUntil, s3SourceInput, startTestEnv, type TestEnv } from "./support.js";

const terminal = (state: RunState | undefined): boolean => state === RunState.RUN_STATE_SUCCEEDED || state === RunState.RUN_STATE_FAILED;

describe("sync", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  async function makeSource(k3: K3TestClient, name: string) {
    return (await k3.source.createSource({ source: s3SourceInput(name, { s3: { bucket: `bucket-${name}`, region: "eu-west-1", prefix: "", endpoint: "" } }) })).source!;
  }

  it("GetSyncStatus of a source that never synced has neither run", async () => {
    const source = await makeSource(env.k3, "never-synced");
    const { status } = await env.k3.ingest.getSyncStatus({ sourceId: source.id });
    expect(status).toEqual({ sourceId: source.id, discovery: undefined, ingestion: undefined });
  });

  it("a discovery run lists the source's derived objects", async () => {
    const source = await makeSource(env.k3, "discover-me");
    const { run } = await env.k3.ingest.triggerDiscovery({ sourceId: source.id });
    expect(run?.state).toBe(RunState.RUN_STATE_QUEUED);
    const { status } = await pollUntil(() => env.k3.ingest.getSyncStatus({ sourceId: source.id }), (s) => terminal(s.status?.discovery?.state));
    expect(status?.discovery).toMatchObject({ id: run!.id, state: RunState.RUN_STATE_SUCCEEDED, objectsDiscovered: String(deriveObjects(source).length), message: "" });
    expect(status!.discovery!.finishTime!.getTime()).toBeGreaterThanOrEqual(status!.discovery!.startTime!.getTime());
    expect(deriveObjects(source).length).toBeGreaterThanOrEqual(10);
  });

  it("the internal S3 source discovers its fixed four objects", async () => {
    const internal = (await env.k3.source.listSources({})).sources.find((s) => s.internal)!;
    await env.k3.ingest.triggerDiscovery({ sourceId: internal.id });
    const { status } = await pollUntil(() => env.k3.ingest.getSyncStatus({ sourceId: internal.id }), (s) => terminal(s.status?.discovery?.state));
    expect(status?.discovery?.objectsDiscovered).toBe("4");
  });

  it("a GitHub source whose repo is \"missing\" fails discovery and ingestion with a message, and goes to ERROR", async () => {
    const { source } = await env.k3.source.createSource({
      source: { displayName: "gh-missing", type: SourceType.SOURCE_TYPE_GITHUB, github: { owner: "acme", repo: "missing", branch: "", path: "" } },
    });
    await env.k3.ingest.triggerDiscovery({ sourceId: source!.id });
    const { run } = await env.k3.ingest.triggerIngestion({ sourceId: source!.id });
    const { status } = await pollUntil(
      () => env.k3.ingest.getSyncStatus({ sourceId: source!.id }),
      (s) => terminal(s.status?.discovery?.state) && terminal(s.status?.ingestion?.state),
    );
    expect(status?.discovery).toMatchObject({ state: RunState.RUN_STATE_FAILED, message: 'GitHub repository "acme/missing" not found or not accessible' });
    expect(status?.ingestion).toMatchObject({ id: run!.id, state: RunState.RUN_STATE_FAILED, message: 'GitHub repository "acme/missing" not found or not accessible' });
    const after = (await env.k3.source.getSource({ id: source!.id })).source;
    expect(after).toMatchObject({ status: SourceStatus.SOURCE_STATUS_ERROR, statusMessage: status!.discovery!.message });
  });

  it("an ingestion run makes one job per matching object per enabled non-manual rule, with a deterministic failure", async () => {
    const k3 = env.client("ingestion");
    const source = await makeSource(k3, "ingest-src");
    const objects = deriveObjects(source);
    const pdfs = objects.filter((o) => o.mimeType === "application/pdf");
    const corrupt = objects.filter((o) => o.key.includes("corrupt"));
    expect(corrupt).toHaveLength(1);
    const pl = (await k3.pipeline.createPipeline({ pipeline: pipelineInput("ingest-pl") })).pipeline!.id;
    const base = { sourceId: source.id, pipelineId: pl, enabled: true };
    const all = (await k3.ingest.createRule({ rule: { ...base, displayName: "all", trigger: { type: TriggerType.TRIGGER_TYPE_ON_CHANGE } } })).rule!;
    const pdfOnly = (await k3.ingest.createRule({ rule: { ...base, displayName: "pdf", trigger: { type: TriggerType.TRIGGER_TYPE_ON_NEW_OBJECT }, filter: { mimeTypes: ["application/pdf"] } } })).rule!;
    await k3.ingest.createRule({ rule: { ...base, displayName: "off", enabled: false, trigger: { type: TriggerType.TRIGGER_TYPE_ON_CHANGE } } });
    await k3.ingest.createRule({ rule: { ...base, displayName: "manual", trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } } });

    const { run } = await k3.ingest.triggerIngestion({ sourceId: source.id, fullSync: false });
    expect(run?.state).toBe(RunState.RUN_STATE_QUEUED);
    const { status } = await pollUntil(() => k3.ingest.getSyncStatus({ sourceId: source.id }), (s) => terminal(s.status?.ingestion?.state));
    const total = objects.length + pdfs.length;
    expect(status?.ingestion).toMatchObject({ id: run!.id, state: RunState.RUN_STATE_SUCCEEDED, objectsIngested: String(total - 2), objectsFailed: "2", message: `2 of ${total} objects failed` });

    const jobs = await k3.ingest.getIngestStatus({ triggerId: run!.id });
    expect(jobs.done).toBe(true);
    expect(jobs.counts).toEqual({ total: String(total), queued: "0", running: "0", succeeded: String(total - 2), failed: "2" });
    expect(new Set(jobs.jobs.map((j) => j.ruleId))).toEqual(new Set([all.id, pdfOnly.id]));
    expect(jobs.jobs.every((j) => j.triggerId === run!.id && j.sourceId === source.id && j.pipelineId === pl)).toBe(true);
    const failed = jobs.jobs.filter((j) => j.state === IngestJobState.INGEST_JOB_STATE_FAILED);
    expect(failed.map((j) => [j.objectKey, j.error, j.attempts])).toEqual([
      [corrupt[0]!.key, CORRUPT_OBJECT_ERROR, 3],
      [corrupt[0]!.key, CORRUPT_OBJECT_ERROR, 3],
    ]);
    const keys = jobs.jobs.map((j) => j.objectKey);
    expect(keys).toEqual([...keys].sort());
  });

  it("a second incremental run sends nothing new; a full sync sends everything again", async () => {
    const k3 = env.client("incremental");
    const source = await makeSource(k3, "inc-src");
    const pl = (await k3.pipeline.createPipeline({ pipeline: pipelineInput("inc-pl") })).pipeline!.id;
    await k3.ingest.createRule({ rule: { displayName: "r", sourceId: source.id, pipelineId: pl, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_ON_NEW_OBJECT } } });
    const count = deriveObjects(source).length;
    const first = (await k3.ingest.triggerIngestion({ sourceId: source.id })).run!;
    expect((await k3.ingest.getIngestStatus({ triggerId: first.id })).counts?.total).toBe(String(count));
    const second = (await k3.ingest.triggerIngestion({ sourceId: source.id })).run!;
    expect((await k3.ingest.getIngestStatus({ triggerId: second.id })).counts?.total).toBe("0");
    const full = (await k3.ingest.triggerIngestion({ sourceId: source.id, fullSync: true })).run!;
    expect(full.fullSync).toBe(true);
    expect((await k3.ingest.getIngestStatus({ triggerId: full.id })).counts?.total).toBe(String(count));
    const empty = await pollUntil(() => k3.ingest.getSyncStatus({ sourceId: source.id }), (s) => terminal(s.status?.ingestion?.state));
    expect(empty.status?.ingestion?.id).toBe(full.id);
  });

  it("returns the first run for a repeated request_id", async () => {
    const source = await makeSource(env.k3, "idem-sync");
    const d1 = await env.k3.ingest.triggerDiscovery({ sourceId: source.id, requestId: "disc-1" });
    const d2 = await env.k3.ingest.triggerDiscovery({ sourceId: source.id, requestId: "disc-1" });
    expect(d2.run?.id).toBe(d1.run?.id);
    const i1 = await env.k3.ingest.triggerIngestion({ sourceId: source.id, requestId: "ing-1" });
    const i2 = await env.k3.ingest.triggerIngestion({ sourceId: source.id, requestId: "ing-1" });
    expect(i2.run?.id).toBe(i1.run?.id);
  });

  it.each([
    { rpc: "triggerDiscovery" as const },
    { rpc: "triggerIngestion" as const },
    { rpc: "getSyncStatus" as const },
  ])("$rpc answers NOT_FOUND for an unknown source and INVALID_ARGUMENT without one", async ({ rpc }) => {
    const details = await expectGrpcError(env.k3.ingest[rpc]({ sourceId: "src_nope" }), GrpcStatus.NOT_FOUND);
    expect(details.errorInfo?.reason).toBe("SOURCE_NOT_FOUND");
    const empty = await expectGrpcError(env.k3.ingest[rpc]({}), GrpcStatus.INVALID_ARGUMENT);
    expect(empty.fieldViolations[0]?.field).toBe("source_id");
  });
});

describe("sync on an injected clock (timeScale 1)", () => {
  let env: TestEnv;
  let now = Date.parse("2026-06-01T08:00:00Z");
  beforeAll(async () => {
    env = await startTestEnv({ timeScale: 1, now: () => now });
  });
  afterAll(async () => env.close());

  it("computes QUEUED, RUNNING with partial progress, then SUCCEEDED from timestamps", async () => {
    const { source } = await env.k3.source.createSource({ source: s3SourceInput("clocked") });
    const count = deriveObjects(source!).length;
    const started = now;
    const { run } = await env.k3.ingest.triggerDiscovery({ sourceId: source!.id });
    expect(run).toMatchObject({ state: RunState.RUN_STATE_QUEUED, objectsDiscovered: "0", startTime: undefined });
    now = started + 200 + 1_000;
    const running = (await env.k3.ingest.getSyncStatus({ sourceId: source!.id })).status!.discovery!;
    expect(running.state).toBe(RunState.RUN_STATE_RUNNING);
    expect(running.startTime?.getTime()).toBe(started + 200);
    expect(Number(running.objectsDiscovered)).toBeGreaterThan(0);
    expect(Number(running.objectsDiscovered)).toBeLessThan(count);
    now = started + 200 + 1_500 + 25 * count;
    const done = (await env.k3.ingest.getSyncStatus({ sourceId: source!.id })).status!.discovery!;
    expect(done).toMatchObject({ state: RunState.RUN_STATE_SUCCEEDED, objectsDiscovered: String(count) });
    expect(done.finishTime?.getTime()).toBe(now);
  });
});
