// The K3 client against a small programmable grpc-js server over loopback: every one of the
// 31 methods answers (an empty response unless told otherwise) and can be made to fail the
// next N calls with a code and details trailer, or to answer late.
import { performance } from "node:perf_hooks";
import { Server, ServerCredentials, status, type handleUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isK3Error, K3Error, type K3ErrorKind } from "./errors.js";
import * as ingestv1 from "./gen/dodil/k3/ingest/v1/ingest.js";
import * as pipelinev1 from "./gen/dodil/k3/pipeline/v1/pipeline.js";
import * as sourcev1 from "./gen/dodil/k3/source/v1/source.js";
import { createK3Client, type K3Client, type K3ClientOptions } from "./k3-client.js";
import type { K3CallEvent, K3Logger } from "./call-runner.js";
import { newStatusError, type StatusDetailsInput } from "./status-details.js";

interface ReceivedCall {
  rpc: string;
  at: number;
  requestId: string;
  authorization: string;
  request: unknown;
}

interface MessageType {
  fromPartial(object: unknown): unknown;
}

/** A grpc-js server implementing all three K3 services with programmable faults. */
class TestK3Server {
  readonly calls: ReceivedCall[] = [];
  address = "";
  readonly #server = new Server();
  readonly #faults = new Map<string, StatusDetailsInput[]>();
  readonly #latencyMs = new Map<string, number>();
  readonly #answers = new Map<string, (request: unknown) => unknown>();

  constructor() {
    this.#add(sourcev1.SourceServiceService, sourcev1);
    this.#add(pipelinev1.PipelineServiceService, pipelinev1);
    this.#add(ingestv1.IngestServiceService, ingestv1);
  }

  async start(): Promise<void> {
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    this.address = `127.0.0.1:${port}`;
  }

  stop(): void {
    this.#server.forceShutdown();
  }

  reset(): void {
    this.calls.length = 0;
    this.#faults.clear();
    this.#latencyMs.clear();
    this.#answers.clear();
  }

  failNext(rpc: string, count: number, fault: StatusDetailsInput): void {
    this.#faults.set(rpc, [...(this.#faults.get(rpc) ?? []), ...Array.from({ length: count }, () => fault)]);
  }

  delay(rpc: string, ms: number): void {
    this.#latencyMs.set(rpc, ms);
  }

  answer(rpc: string, answer: (request: unknown) => unknown): void {
    this.#answers.set(rpc, answer);
  }

  callsOf(rpc: string): ReceivedCall[] {
    return this.calls.filter((c) => c.rpc === rpc);
  }

  #add(definition: ServiceDefinition, messages: object): void {
    const implementation: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
      const responseType = (messages as Record<string, MessageType>)[`${rpc}Response`]!;
      implementation[name] = this.#handler(rpc, responseType);
    }
    this.#server.addService(definition, implementation);
  }

  #handler(rpc: string, responseType: MessageType): handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const header = (key: string): string => String(call.metadata.get(key)[0] ?? "");
      this.calls.push({ rpc, at: performance.now(), requestId: header("x-request-id"), authorization: header("authorization"), request: call.request });
      const fault = this.#faults.get(rpc)?.shift();
      const respond = (): void => {
        if (fault !== undefined) callback(newStatusError(fault));
        else callback(null, responseType.fromPartial(this.#answers.get(rpc)?.(call.request) ?? {}));
      };
      const latency = this.#latencyMs.get(rpc) ?? 0;
      if (latency > 0) setTimeout(respond, latency);
      else respond();
    };
  }
}

const server = new TestK3Server();
let clients: K3Client[] = [];

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => server.reset());
afterEach(() => {
  for (const client of clients) client.close();
  clients = [];
});

function newClient(overrides: Partial<K3ClientOptions> = {}): K3Client {
  const client = createK3Client({
    endpoint: server.address,
    insecure: true,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
    ...overrides,
  });
  clients.push(client);
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<K3Error> {
  try {
    await promise;
  } catch (err) {
    if (isK3Error(err)) return err;
    throw new Error("expected a K3Error", { cause: err });
  }
  throw new Error("expected the call to fail");
}

const unavailable: StatusDetailsInput = { code: status.UNAVAILABLE, message: "try later" };

describe("K3 client", () => {
  it("binds all 31 RPCs of the three services", () => {
    const client = newClient();
    const count = [client.source, client.pipeline, client.ingest].reduce((n, s) => n + Object.keys(s).length, 0);
    expect(count).toBe(31);
  });

  it("fills omitted request fields and returns the typed response", async () => {
    server.answer("GetSource", (request) => ({ source: { id: (request as sourcev1.GetSourceRequest).id, displayName: "docs", type: sourcev1.SourceType.SOURCE_TYPE_S3 } }));
    const client = newClient();
    const response = await client.source.getSource({ id: "src-1" });
    expect(response.source?.displayName).toBe("docs");
    expect(response.source?.type).toBe(sourcev1.SourceType.SOURCE_TYPE_S3);
    await client.source.listSources({});
    expect(server.callsOf("ListSources")[0]?.request).toEqual({ pageSize: 0, pageToken: "", labelFilter: {} });
  });

  it("retries UNAVAILABLE and then succeeds", async () => {
    server.failNext("GetSource", 2, unavailable);
    server.answer("GetSource", () => ({ source: { id: "src-1" } }));
    const response = await newClient().source.getSource({ id: "src-1" });
    expect(response.source?.id).toBe("src-1");
    expect(server.callsOf("GetSource")).toHaveLength(3);
  });

  it.each<{ rpc: string; call: (c: K3Client) => Promise<unknown>; calls: number; reason: string }>([
    { rpc: "GetSource", call: (c) => c.source.getSource({ id: "a" }), calls: 2, reason: "reads are retried" },
    { rpc: "ListIngestJobs", call: (c) => c.ingest.listIngestJobs({}), calls: 2, reason: "reads are retried" },
    { rpc: "UpdatePipeline", call: (c) => c.pipeline.updatePipeline({ pipeline: { id: "p" } }), calls: 2, reason: "updates are idempotent" },
    { rpc: "DeleteRule", call: (c) => c.ingest.deleteRule({ id: "r" }), calls: 2, reason: "deletes are idempotent" },
    { rpc: "ValidateCredential", call: (c) => c.source.validateCredential({ id: "c" }), calls: 2, reason: "only records a verdict" },
    { rpc: "CreateSource", call: (c) => c.source.createSource({ source: { displayName: "x" } }), calls: 1, reason: "a Create without requestId is never retried" },
    { rpc: "CreateSource", call: (c) => c.source.createSource({ requestId: "uid-1", source: { displayName: "x" } }), calls: 2, reason: "the requestId makes a replay safe" },
    { rpc: "TriggerIngest", call: (c) => c.ingest.triggerIngest({ ruleId: "r", requestId: "uid-2" }), calls: 2, reason: "keyed trigger" },
    { rpc: "TriggerDiscovery", call: (c) => c.ingest.triggerDiscovery({ sourceId: "s" }), calls: 1, reason: "unkeyed trigger would start a second run" },
    { rpc: "RefreshOAuthToken", call: (c) => c.source.refreshOAuthToken({ id: "c" }), calls: 1, reason: "not idempotent" },
  ])("$rpc after one UNAVAILABLE is sent $calls time(s): $reason", async ({ rpc, call, calls }) => {
    server.failNext(rpc, 1, unavailable);
    const outcome = await call(newClient()).then(
      () => "ok",
      (err: unknown) => (isK3Error(err, "Transient") ? "transient" : err),
    );
    expect(outcome).toBe(calls === 2 ? "ok" : "transient");
    expect(server.callsOf(rpc)).toHaveLength(calls);
  });

  it.each<{ code: status; kind: K3ErrorKind; calls: number; reason: string }>([
    { code: status.INVALID_ARGUMENT, kind: "InvalidArgument", calls: 1, reason: "never retried" },
    { code: status.UNAUTHENTICATED, kind: "Unauthenticated", calls: 1, reason: "never retried" },
    { code: status.PERMISSION_DENIED, kind: "PermissionDenied", calls: 1, reason: "never retried" },
    { code: status.NOT_FOUND, kind: "NotFound", calls: 1, reason: "never retried" },
    { code: status.ALREADY_EXISTS, kind: "AlreadyExists", calls: 1, reason: "never retried" },
    { code: status.FAILED_PRECONDITION, kind: "FailedPrecondition", calls: 1, reason: "never retried" },
    { code: status.ABORTED, kind: "Transient", calls: 1, reason: "Transient, but not in the retry set" },
    { code: status.INTERNAL, kind: "Internal", calls: 1, reason: "never retried" },
    { code: status.UNAVAILABLE, kind: "Transient", calls: 3, reason: "retried until attempts are used up" },
    { code: status.RESOURCE_EXHAUSTED, kind: "Transient", calls: 3, reason: "retried until attempts are used up" },
    { code: status.DEADLINE_EXCEEDED, kind: "Transient", calls: 3, reason: "a server-side deadline is retried too" },
  ])("a GetSource failing with $code is $kind after $calls call(s): $reason", async ({ code, kind, calls }) => {
    server.failNext("GetSource", 5, { code, message: "boom" });
    const err = await rejection(newClient({ retry: { maxAttempts: 3, initialBackoffMs: 1 } }).source.getSource({ id: "a" }));
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.attempts).toBe(calls);
    expect(err.rpc).toBe("GetSource");
    expect(err.service).toBe("dodil.k3.source.v1.SourceService");
    expect(server.callsOf("GetSource")).toHaveLength(calls);
  });

  it("grows the backoff exponentially and caps it", async () => {
    server.failNext("GetSource", 4, unavailable);
    const client = newClient({ random: () => 1, retry: { maxAttempts: 5, initialBackoffMs: 40, multiplier: 3, maxBackoffMs: 120 } });
    await client.source.getSource({ id: "a" });
    const at = server.callsOf("GetSource").map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Uncapped, the bounds would be 40, 120, 360, 1080 ms; the slack absorbs a busy machine.
    const expected = [40, 120, 120, 120];
    expect(gaps).toHaveLength(4);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 2);
      expect(gap).toBeLessThan(expected[i]! + 100);
    });
  });

  it("turns an attempt deadline into Transient DEADLINE_EXCEEDED", async () => {
    server.delay("GetSource", 400);
    const err = await rejection(newClient({ timeoutMs: 50, retry: { maxAttempts: 1 } }).source.getSource({ id: "a" }));
    expect([err.kind, err.codeName]).toEqual(["Transient", "DEADLINE_EXCEEDED"]);
  });

  it("stops retrying at the overall deadline", async () => {
    server.delay("GetSource", 400);
    const client = newClient({ timeoutMs: 60, totalTimeoutMs: 250, retry: { maxAttempts: 20, initialBackoffMs: 10, maxBackoffMs: 10 } });
    const started = performance.now();
    const err = await rejection(client.source.getSource({ id: "a" }));
    const elapsed = performance.now() - started;
    expect(err.codeName).toBe("DEADLINE_EXCEEDED");
    expect(err.attempts).toBeGreaterThanOrEqual(2);
    expect(err.attempts).toBeLessThan(20);
    expect(elapsed).toBeLessThan(250 + 150);
  });

  it("lets a call override the attempt deadline", async () => {
    server.delay("GetSource", 150);
    const client = newClient({ timeoutMs: 50, retry: { maxAttempts: 1 } });
    await expect(client.source.getSource({ id: "a" }, { timeoutMs: 2_000 })).resolves.toBeDefined();
    expect((await rejection(client.source.getSource({ id: "a" }))).codeName).toBe("DEADLINE_EXCEEDED");
  });

  it("reads the token supplier before every attempt, so a rotated token takes effect", async () => {
    let token = "t1";
    let reads = 0;
    const client = newClient({
      token: () => {
        reads++;
        return Promise.resolve(token);
      },
    });
    server.failNext("GetSource", 1, unavailable);
    await client.source.getSource({ id: "a" });
    token = "t2";
    await client.source.getSource({ id: "a" });
    expect(server.callsOf("GetSource").map((c) => c.authorization)).toEqual(["Bearer t1", "Bearer t1", "Bearer t2"]);
    expect(reads).toBe(3);
  });

  it("fails a call whose token cannot be read as Unauthenticated, without sending it", async () => {
    const client = newClient({
      token: () => {
        throw new Error("secret k3-token not found");
      },
    });
    const err = await rejection(client.source.getSource({ id: "a" }));
    expect(err.kind).toBe("Unauthenticated");
    expect((err.cause as Error).message).toBe("secret k3-token not found");
    expect(server.calls).toHaveLength(0);
  });

  it("sends one x-request-id per call, the same across its retries", async () => {
    const client = newClient();
    server.failNext("GetSource", 2, unavailable);
    await client.source.getSource({ id: "a" });
    await client.source.getSource({ id: "b" });
    const ids = server.callsOf("GetSource").map((c) => c.requestId);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(ids[3]).not.toBe(ids[0]);
  });

  it("uses the caller's x-request-id and reports it on the error", async () => {
    server.failNext("DeleteSource", 1, { code: status.NOT_FOUND, message: "no source x" });
    const err = await rejection(newClient().source.deleteSource({ id: "x" }, { requestId: "reconcile-42" }));
    expect(server.callsOf("DeleteSource")[0]?.requestId).toBe("reconcile-42");
    expect(err.requestId).toBe("reconcile-42");
    expect(err.message).toBe("DeleteSource: not found: no source x");
  });

  it("decodes field violations from the details trailer", async () => {
    server.failNext("CreatePipeline", 1, {
      code: status.INVALID_ARGUMENT,
      message: "invalid pipeline",
      fieldViolations: [{ field: "pipeline.parameters.chunkSize", description: "required parameter is missing", reason: "REQUIRED" }],
    });
    const err = await rejection(newClient().pipeline.createPipeline({ requestId: "uid", pipeline: { displayName: "p" } }));
    expect(err.kind).toBe("InvalidArgument");
    expect(err.message).toBe("CreatePipeline: invalid argument: pipeline.parameters.chunkSize: required parameter is missing");
    expect(err.fieldViolations).toEqual([{ field: "pipeline.parameters.chunkSize", description: "required parameter is missing", reason: "REQUIRED" }]);
  });

  it("decodes ErrorInfo from the details trailer", async () => {
    server.failNext("DeleteCredential", 1, {
      code: status.FAILED_PRECONDITION,
      message: "credential c1 is used by source s1",
      errorInfo: { reason: "CREDENTIAL_IN_USE", domain: "k3.dodil.io", metadata: { sourceId: "s1" } },
    });
    const err = await rejection(newClient().source.deleteCredential({ id: "c1" }));
    expect(err.kind).toBe("FailedPrecondition");
    expect([err.reason, err.domain, err.metadata]).toEqual(["CREDENTIAL_IN_USE", "k3.dodil.io", { sourceId: "s1" }]);
  });

  it("reports every attempt to onCall with its code and latency", async () => {
    const events: K3CallEvent[] = [];
    server.failNext("GetPipeline", 2, unavailable);
    server.delay("GetPipeline", 30);
    await newClient({ onCall: (e) => events.push(e) }).pipeline.getPipeline({ id: "p" });
    expect(events.map((e) => [e.service, e.rpc, e.code, e.attempt])).toEqual([
      ["dodil.k3.pipeline.v1.PipelineService", "GetPipeline", "UNAVAILABLE", 1],
      ["dodil.k3.pipeline.v1.PipelineService", "GetPipeline", "UNAVAILABLE", 2],
      ["dodil.k3.pipeline.v1.PipelineService", "GetPipeline", "OK", 3],
    ]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(1);
    for (const e of events) expect(e.durationMs).toBeGreaterThanOrEqual(25);
  });

  it("survives an onCall hook that throws", async () => {
    const client = newClient({
      onCall: () => {
        throw new Error("metrics broken");
      },
    });
    await expect(client.source.getSource({ id: "a" })).resolves.toBeDefined();
  });

  it("accepts a pino logger", async () => {
    const logger: K3Logger = pino({ level: "silent" });
    await expect(newClient({ logger }).source.getSource({ id: "a" })).resolves.toBeDefined();
  });

  it("never hands request bodies to the logger", async () => {
    const entries: unknown[] = [];
    const logger: K3Logger = { debug: (obj, msg) => entries.push([obj, msg]), warn: (obj, msg) => entries.push([obj, msg]) };
    server.failNext("StoreCredential", 1, unavailable);
    await newClient({ logger }).source.storeCredential({ requestId: "uid", apiKey: { apiKey: "sk-very-secret" } });
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(entries)).toContain("K3 call failed, retrying");
    expect(JSON.stringify(entries)).not.toContain("sk-very-secret");
  });

  it("cancels a backoff wait when the call's signal aborts", async () => {
    server.failNext("GetSource", 1, unavailable);
    const controller = new AbortController();
    const client = newClient({ random: () => 1, retry: { initialBackoffMs: 10_000, maxBackoffMs: 10_000 } });
    const started = performance.now();
    const pending = rejection(client.source.getSource({ id: "a" }, { signal: controller.signal }));
    await poll(() => server.callsOf("GetSource").length === 1);
    controller.abort(new Error("reconcile cancelled"));
    const err = await pending;
    expect([err.codeName, err.message, err.attempts]).toEqual(["CANCELLED", "GetSource: cancelled: reconcile cancelled", 1]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("close() cancels calls in flight and rejects later ones", async () => {
    server.delay("GetSource", 5_000);
    const client = newClient();
    const pending = rejection(client.source.getSource({ id: "a" }));
    await poll(() => server.callsOf("GetSource").length === 1);
    client.close();
    expect((await pending).codeName).toBe("CANCELLED");
    const later = await rejection(client.source.getSource({ id: "b" }));
    expect(later.message).toBe("GetSource: cancelled: K3 client closed");
    expect(server.callsOf("GetSource")).toHaveLength(1);
  });

  it("uses TLS by default, so a plaintext server is unreachable", async () => {
    const err = await rejection(newClient({
      insecure: undefined,
      retry: { maxAttempts: 1 },
      // An IP as TLS server name draws a Node deprecation warning; the name is irrelevant here.
      channelOptions: { "grpc.ssl_target_name_override": "localhost" },
    }).source.getSource({ id: "a" }));
    expect([err.kind, err.codeName]).toEqual(["Transient", "UNAVAILABLE"]);
    expect(err.serverMessage).toMatch(/SSL/);
    expect(server.calls).toHaveLength(0);
  });
});

async function poll(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
