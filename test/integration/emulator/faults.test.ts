// Fault injection and call counters: latency, "fail the next N calls", random error rates,
// answers lost after the create committed (and recovered through request_id), counters.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectGrpcError, GrpcStatus, pipelineInput, startTestEnv, type TestEnv } from "./support.js";

describe("faults", () => {
  let env: TestEnv;
  let dice = 0;
  beforeAll(async () => {
    env = await startTestEnv({ faults: { random: () => dice } });
  });
  afterEach(() => env.emu.faults.clear());
  afterAll(async () => env.close());

  it("adds latency globally and per RPC", async () => {
    // Wide margins: the lower bounds are exact (timers never fire early), the upper one only
    // has to tell "no injected latency" from 300 ms on a busy machine.
    env.emu.faults.setLatency(100);
    env.emu.faults.setRpcLatency("GetTemplate", 200);
    let started = performance.now();
    await env.k3.pipeline.listTemplates({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    started = performance.now();
    await env.k3.pipeline.getTemplate({ name: "pdf-to-markdown" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    env.emu.faults.clear();
    started = performance.now();
    await env.k3.pipeline.getTemplate({ name: "pdf-to-markdown" });
    expect(performance.now() - started).toBeLessThan(250);
  });

  it("trips a client deadline with enough latency", async () => {
    env.emu.faults.setRpcLatency("ListTemplates", 300);
    await expect(env.k3.pipeline.listTemplates({}, { deadlineMs: 50 })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
  });

  it("fails the next N calls of one RPC with the chosen code, touching no state, then recovers", async () => {
    env.emu.faults.failNext("CreatePipeline", 2, GrpcStatus.RESOURCE_EXHAUSTED);
    for (let i = 0; i < 2; i++) {
      const details = await expectGrpcError(env.k3.pipeline.createPipeline({ pipeline: pipelineInput("after-faults") }), GrpcStatus.RESOURCE_EXHAUSTED);
      expect(details.errorInfo?.reason).toBe("INJECTED_FAULT");
    }
    expect((await env.k3.pipeline.listPipelines({})).pipelines.some((p) => p.displayName === "after-faults")).toBe(false);
    const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("after-faults") });
    expect(pipeline?.displayName).toBe("after-faults");
  });

  it("fails calls at the configured rate, using the injected randomness", async () => {
    env.emu.faults.setErrorRate("GetTemplate", { rate: 0.5, code: GrpcStatus.UNAVAILABLE });
    dice = 0.4;
    await expectGrpcError(env.k3.pipeline.getTemplate({ name: "pdf-to-markdown" }), GrpcStatus.UNAVAILABLE);
    dice = 0.6;
    expect((await env.k3.pipeline.getTemplate({ name: "pdf-to-markdown" })).template?.name).toBe("pdf-to-markdown");
  });

  it("\"*\" fails any RPC", async () => {
    env.emu.faults.failNext("*", 1, GrpcStatus.INTERNAL);
    await expectGrpcError(env.k3.source.listSources({}), GrpcStatus.INTERNAL);
    expect((await env.k3.source.listSources({})).sources.length).toBeGreaterThan(0);
  });

  it("loses the answer after the create committed; a retry with the same request_id gets the object", async () => {
    env.emu.faults.loseAnswerNext("CreatePipeline", 1);
    const request = { requestId: "lost-1", pipeline: pipelineInput("lost-answer") };
    const details = await expectGrpcError(env.k3.pipeline.createPipeline(request), GrpcStatus.UNAVAILABLE);
    expect(details.errorInfo?.reason).toBe("INJECTED_ANSWER_LOST");
    const committed = (await env.k3.pipeline.listPipelines({})).pipelines.filter((p) => p.displayName === "lost-answer");
    expect(committed).toHaveLength(1);
    const { pipeline } = await env.k3.pipeline.createPipeline(request);
    expect(pipeline?.id).toBe(committed[0]!.id);
    expect((await env.k3.pipeline.listPipelines({})).pipelines.filter((p) => p.displayName === "lost-answer")).toHaveLength(1);
  });

  it("refuses unknown RPC names and out-of-range rates", () => {
    expect(() => env.emu.faults.failNext("CreatePipelines", 1)).toThrow(/unknown RPC "CreatePipelines"/);
    expect(() => env.emu.faults.setErrorRate("GetPipeline", { rate: 2, code: GrpcStatus.INTERNAL })).toThrow(/within \[0, 1\]/);
  });

  it("starts with faults given as options", async () => {
    const slow = await startTestEnv({
      faults: {
        latencyMs: 40,
        errorRates: { ListSources: { rate: 1, code: GrpcStatus.ABORTED } },
        failNext: [{ rpc: "GetTemplate", count: 1, code: GrpcStatus.UNAVAILABLE }],
        loseAnswerNext: [{ rpc: "CreatePipeline", count: 1 }],
      },
    });
    try {
      const started = performance.now();
      await slow.k3.pipeline.listTemplates({});
      expect(performance.now() - started).toBeGreaterThanOrEqual(35);
      await expectGrpcError(slow.k3.source.listSources({}), GrpcStatus.ABORTED);
      await expectGrpcError(slow.k3.pipeline.getTemplate({ name: "pdf-to-markdown" }), GrpcStatus.UNAVAILABLE);
      expect((await slow.k3.pipeline.getTemplate({ name: "pdf-to-markdown" })).template?.name).toBe("pdf-to-markdown");
      await expectGrpcError(slow.k3.pipeline.createPipeline({ pipeline: pipelineInput("lost-at-start") }), GrpcStatus.UNAVAILABLE);
      expect((await slow.k3.pipeline.listPipelines({})).pipelines.map((p) => p.displayName)).toEqual(["lost-at-start"]);
    } finally {
      await slow.close();
    }
  });
});

describe("call counters", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  it("count calls per RPC and tenant, split mutating from reads, and reset", async () => {
    env.emu.resetCounters();
    const other = env.client("counter-other");
    const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("counted") });
    await env.k3.pipeline.getPipeline({ id: pipeline!.id });
    await env.k3.pipeline.getPipeline({ id: pipeline!.id });
    await other.pipeline.listPipelines({});
    await env.k3.source.getOAuthUrl({ provider: 1, redirectUri: "https://x.example/cb" });
    expect(env.emu.calls.get("CreatePipeline")).toBe(1);
    expect(env.emu.calls.get("GetPipeline")).toBe(2);
    expect(env.emu.calls.get("DeletePipeline")).toBe(0);
    expect(env.emu.calls.forTenant("acme")).toBe(4);
    expect(env.emu.calls.forTenant("counter-other", "ListPipelines")).toBe(1);
    expect(env.emu.calls.total).toBe(5);
    expect(env.emu.calls.mutating).toBe(2);
    expect(env.emu.calls.reads).toBe(3);
    expect(env.emu.calls.snapshot()).toEqual({ CreatePipeline: 1, GetPipeline: 2, ListPipelines: 1, GetOAuthUrl: 1 });
    env.emu.resetCounters();
    expect(env.emu.calls.total).toBe(0);
    expect(env.emu.calls.forTenant("acme")).toBe(0);
  });
});
