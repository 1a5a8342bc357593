// Malformed-answer hooks and the lost-answer rate: what a test of the operator's distrust of
// the service (issue 9) needs the emulator to do on purpose.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HUGE_ERROR_BYTES, UNKNOWN_ENUM_VALUE } from "../../../src/emulator/index.js";
import { TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { expectGrpcError, GrpcStatus, pipelineInput, s3SourceInput, startTestEnv, type TestEnv } from "./support.js";

describe("malformed answers", () => {
  let env: TestEnv;
  let dice = 0;
  beforeAll(async () => {
    env = await startTestEnv({ faults: { random: () => dice } });
  });
  afterEach(() => env.emu.faults.clear());
  afterAll(async () => env.close());

  it("empty-body: an OK answer with no fields, after the call committed", async () => {
    env.emu.faults.malformNext("CreatePipeline", "empty-body", 1);
    const answer = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("empty-answer") });
    expect(answer.pipeline).toBeUndefined();
    const stored = (await env.k3.pipeline.listPipelines({})).pipelines.filter((p) => p.displayName === "empty-answer");
    expect(stored).toHaveLength(1);
    expect((await env.k3.pipeline.getPipeline({ id: stored[0]!.id })).pipeline?.id, "only one answer was bent").toBe(stored[0]!.id);
  });

  it("unknown-enum: every enum of the answer, nested ones too, carries a value no K3 enum has", async () => {
    const { source } = await env.k3.source.createSource({ source: s3SourceInput("enum-src") });
    env.emu.faults.malformNext("GetSource", "unknown-enum", 1);
    const bent = (await env.k3.source.getSource({ id: source!.id })).source!;
    expect(bent.status).toBe(UNKNOWN_ENUM_VALUE);
    expect(bent.type).toBe(UNKNOWN_ENUM_VALUE);
    const honest = (await env.k3.source.getSource({ id: source!.id })).source!;
    expect(honest.status).toBe(source!.status);
    expect(honest.type).toBe(source!.type);
    env.emu.faults.malformNext("ListTemplates", "unknown-enum", 1);
    const templates = (await env.k3.pipeline.listTemplates({})).templates;
    const parameterTypes = templates.flatMap((t) => t.versions.flatMap((v) => v.parameters.map((p) => p.type)));
    expect(parameterTypes.length).toBeGreaterThan(0);
    expect(new Set(parameterTypes)).toEqual(new Set([UNKNOWN_ENUM_VALUE]));
  });

  it("ignore-filter: a List RPC answers as if its filter were empty", async () => {
    const { pipeline: a } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("filter-a", { labels: { team: "a" } }) });
    await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("filter-b", { labels: { team: "b" } }) });
    const honest = await env.k3.pipeline.listPipelines({ labelFilter: { team: "a" } });
    expect(honest.pipelines.map((p) => p.id)).toEqual([a!.id]);
    env.emu.faults.malformNext("ListPipelines", "ignore-filter", 1);
    const bent = await env.k3.pipeline.listPipelines({ labelFilter: { team: "a" } });
    expect(bent.pipelines.map((p) => p.displayName)).toEqual(expect.arrayContaining(["filter-a", "filter-b"]));
    expect(() => env.emu.faults.malformNext("GetPipeline", "ignore-filter", 1)).toThrow(/needs a List RPC/);
  });

  it("huge-error: fails with a 40 KiB message and the chosen code, touching no state", async () => {
    env.emu.faults.malformNext("CreateRule", "huge-error", 1, GrpcStatus.FAILED_PRECONDITION);
    const details = await expectGrpcError(env.k3.ingest.createRule({ rule: { displayName: "huge", trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } } }), GrpcStatus.FAILED_PRECONDITION);
    expect(details.message.length).toBe(HUGE_ERROR_BYTES);
    expect(details.details.length).toBe(HUGE_ERROR_BYTES);
    expect(details.errorInfo?.reason).toBe("INJECTED_FAULT");
    expect((await env.k3.ingest.listRules({})).rules).toEqual([]);
  });

  it("loses answers at the configured rate, after committing", async () => {
    env.emu.faults.setLostAnswerRate("CreatePipeline", 0.5);
    dice = 0.4;
    const details = await expectGrpcError(env.k3.pipeline.createPipeline({ pipeline: pipelineInput("rate-lost") }), GrpcStatus.UNAVAILABLE);
    expect(details.errorInfo?.reason).toBe("INJECTED_ANSWER_LOST");
    expect((await env.k3.pipeline.listPipelines({})).pipelines.some((p) => p.displayName === "rate-lost")).toBe(true);
    dice = 0.6;
    expect((await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("rate-kept") })).pipeline?.displayName).toBe("rate-kept");
    expect(() => env.emu.faults.setLostAnswerRate("CreatePipeline", 1.5)).toThrow(/within \[0, 1\]/);
  });
});
