// The production K3 client against the emulator: retry and classification driven by the
// emulator's own faults, the way the operator meets them in the field.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorHandle } from "../../src/emulator/index.js";
import { createK3Client, isK3Error, K3Error, pipelinev1, type K3CallEvent, type K3Client } from "../../src/grpc/index.js";

let emulator: EmulatorHandle;
let client: K3Client;
const calls: K3CallEvent[] = [];
let n = 0;

const pipeline = (name: string, parameters: Record<string, unknown> = { chunkSize: 512 }) => ({
  displayName: name,
  template: { name: "document-chunker", version: "1.0.0" },
  parameters,
  destinations: [{ name: "main", type: pipelinev1.DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: { index: "docs" } }],
});

beforeAll(async () => {
  emulator = await startEmulator({ timeScale: 0.001 });
  const token = emulator.mintToken({ tenant: "client-tests" });
  client = createK3Client({
    endpoint: emulator.address,
    insecure: true,
    token: () => token,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
    onCall: (event) => calls.push(event),
  });
});

afterAll(async () => {
  client.close();
  await emulator.stop();
});

beforeEach(() => {
  emulator.faults.clear();
  calls.length = 0;
  n += 1;
});

describe("K3Client through the emulator's faults", () => {
  it("retries a Get through two UNAVAILABLE answers and succeeds", async () => {
    const { pipeline: created } = await client.pipeline.createPipeline({ requestId: `req-${n}`, pipeline: pipeline(`get-${n}`) });
    calls.length = 0;
    emulator.faults.failNext("GetPipeline", 2, status.UNAVAILABLE);
    const { pipeline: got } = await client.pipeline.getPipeline({ id: created!.id });
    expect(got?.id).toBe(created!.id);
    expect(calls.map((c) => c.code)).toEqual(["UNAVAILABLE", "UNAVAILABLE", "OK"]);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(1);
  });

  it("a create whose answer was lost after commit, retried with its request_id, leaves exactly one pipeline", async () => {
    const name = `lost-${n}`;
    emulator.faults.loseAnswerNext("CreatePipeline", 1);
    const { pipeline: created } = await client.pipeline.createPipeline({ requestId: `lost-req-${n}`, pipeline: pipeline(name) });
    expect(created?.displayName).toBe(name);
    expect(calls.filter((c) => c.rpc === "CreatePipeline").map((c) => c.code)).toEqual(["UNAVAILABLE", "OK"]);
    const { pipelines } = await client.pipeline.listPipelines({ pageSize: 1000 });
    expect(pipelines.filter((p) => p.displayName === name)).toHaveLength(1);
  });

  it("never retries a create without a request_id: the lost answer surfaces as Transient", async () => {
    emulator.faults.loseAnswerNext("CreatePipeline", 1);
    const err = await client.pipeline.createPipeline({ pipeline: pipeline(`noid-${n}`) }).catch((e: unknown) => e);
    expect(isK3Error(err, "Transient")).toBe(true);
    expect(calls.filter((c) => c.rpc === "CreatePipeline")).toHaveLength(1);
  });

  it("gives up after the retry budget with Transient", async () => {
    emulator.faults.failNext("ListTemplates", 100, status.UNAVAILABLE);
    const err = await client.pipeline.listTemplates({}).catch((e: unknown) => e);
    expect(isK3Error(err, "Transient")).toBe(true);
    expect((err as K3Error).attempts).toBeGreaterThan(1);
  });

  it("classifies invalid parameters as InvalidArgument with the parameter's field violation", async () => {
    const err = await client.pipeline
      .createPipeline({ requestId: `bad-${n}`, pipeline: pipeline(`bad-${n}`, { overlap: 3 }) })
      .catch((e: unknown) => e);
    expect(isK3Error(err, "InvalidArgument")).toBe(true);
    const violations = (err as K3Error).fieldViolations.map((v) => v.field);
    expect(violations.some((f) => f.endsWith("chunkSize"))).toBe(true);
    expect((err as K3Error).message).toMatch(/chunkSize/);
    expect(calls.filter((c) => c.rpc === "CreatePipeline")).toHaveLength(1);
  });

  it("classifies a bad token as Unauthenticated, without retrying", async () => {
    const stranger = createK3Client({ endpoint: emulator.address, insecure: true, token: () => "not-a-jwt" });
    try {
      const err = await stranger.pipeline.listPipelines({}).catch((e: unknown) => e);
      expect(isK3Error(err, "Unauthenticated")).toBe(true);
      expect((err as K3Error).attempts).toBe(1);
    } finally {
      stranger.close();
    }
  });

  it("classifies a missing pipeline as NotFound", async () => {
    const err = await client.pipeline.getPipeline({ id: "pl_missing" }).catch((e: unknown) => e);
    expect(isK3Error(err, "NotFound")).toBe(true);
  });
});
