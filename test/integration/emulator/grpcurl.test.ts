// The emulator seen by a reflection client that was not written here: grpcurl (built with Go
// by the test setup). It must describe every service and every message they use — including
// the imported google/protobuf types — call one RPC of each service with a bearer token, and
// decode the google.rpc error details of a failed call (issue 12).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCommand } from "../../../src/controlplane/exec.js";
import { startTestEnv, type TestEnv } from "./support.js";

const SERVICES = {
  "dodil.k3.source.v1.SourceService": { call: "ListSources", answerHas: "internal-s3" },
  "dodil.k3.pipeline.v1.PipelineService": { call: "ListTemplates", answerHas: "\"templates\"" },
  "dodil.k3.ingest.v1.IngestService": { call: "ListRules", answerHas: "{" },
} as const;

describe("the emulator through grpcurl", () => {
  let env: TestEnv;
  let grpcurl: string;
  let token: string;
  const run = async (args: string[]) => runCommand(grpcurl, ["-plaintext", "-max-time", "20", ...args], { timeoutMs: 30_000 });

  beforeAll(async () => {
    const built = inject("grpcurl");
    if ("error" in built) throw new Error(`grpcurl could not be built by the test setup: ${built.error}`);
    grpcurl = built.path;
    env = await startTestEnv();
    token = env.emu.mintToken({ tenant: "grpcurl" });
  });
  afterAll(async () => env.close());

  it("lists exactly the three K3 services", async () => {
    const result = await run([env.emu.address, "list"]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n").sort()).toEqual(Object.keys(SERVICES).sort());
  });

  it.each(Object.keys(SERVICES))("describes %s and every message its RPCs take and return", async (service) => {
    const described = await run([env.emu.address, "describe", service]);
    expect(described.stderr).toBe("");
    expect(described.exitCode).toBe(0);
    const messages = [...described.stdout.matchAll(/\( \.?([\w.]+) \)/g)].map((m) => m[1] as string);
    expect(messages.length).toBeGreaterThan(4);
    for (const message of new Set(messages)) {
      const one = await run([env.emu.address, "describe", message]);
      expect(one.stderr, `describe ${message}`).toBe("");
      expect(one.stdout).toContain("message");
    }
  });

  it.each([
    { symbol: "google.protobuf.Timestamp", has: "int64 seconds" },
    { symbol: "google.protobuf.Struct", has: "map<string, .google.protobuf.Value> fields" },
    { symbol: "google.protobuf.FieldMask", has: "repeated string paths" },
    { symbol: "google.rpc.Status", has: "repeated .google.protobuf.Any details" },
    { symbol: "google.rpc.BadRequest", has: "field_violations" },
    { symbol: "google.rpc.ErrorInfo", has: "string reason" },
  ])("describes the imported type $symbol", async ({ symbol, has }) => {
    const result = await run([env.emu.address, "describe", symbol]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(has);
  });

  it.each(Object.entries(SERVICES))("calls %s with the bearer token", async (service, { call, answerHas }) => {
    const result = await run(["-H", `authorization: Bearer ${token}`, "-d", "{}", env.emu.address, `${service}/${call}`]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(answerHas);
    expect(env.emu.calls.get(call)).toBeGreaterThan(0);
  });

  it("creates a pipeline from JSON, with a Struct and a Timestamp in the answer", async () => {
    const request = JSON.stringify({
      pipeline: { displayName: "from-grpcurl", template: { name: "document-chunker" }, parameters: { chunkSize: 512 }, destinations: [{ name: "vs", type: "DESTINATION_TYPE_VECTOR_STORE", config: { index: "docs" } }] },
    });
    const result = await run(["-H", `authorization: Bearer ${token}`, "-d", request, env.emu.address, "dodil.k3.pipeline.v1.PipelineService/CreatePipeline"]);
    expect(result.stderr).toBe("");
    const answer = JSON.parse(result.stdout) as { pipeline: { id: string; parameters: { chunkSize: number }; createTime: string } };
    expect(answer.pipeline.id).toMatch(/^pl/);
    expect(answer.pipeline.parameters.chunkSize).toBe(512);
    expect(Number.isNaN(Date.parse(answer.pipeline.createTime))).toBe(false);
  });

  it("decodes the google.rpc details of a failed call", async () => {
    const result = await run(["-H", `authorization: Bearer ${token}`, "-d", '{"id":"src_missing"}', env.emu.address, "dodil.k3.source.v1.SourceService/GetSource"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("Code: NotFound");
    expect(result.stderr).toContain("type.googleapis.com/google.rpc.ErrorInfo");
    expect(result.stderr).toMatch(/"reason": "\w+"/);
  });

  it("is refused without the token", async () => {
    const result = await run(["-d", "{}", env.emu.address, "dodil.k3.source.v1.SourceService/ListSources"]);
    expect(result.stderr).toContain("Code: Unauthenticated");
  });
});
