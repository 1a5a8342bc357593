// The error model's wire constants — the trailer key `grpc-status-details-bin` and the Any type
// URLs of BadRequest and ErrorInfo — checked with a decoder and an encoder we did not write: the
// buf CLI (Go's protobuf runtime) reading google.rpc.Status. Our codec decoding its own output
// would agree with itself whatever the constants said; buf refuses an unknown type URL.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Metadata, Server, ServerCredentials, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PipelineServiceService } from "../../../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { createK3Client, isK3Error } from "../../../src/grpc/index.js";
import { encodeStatusDetails } from "../../../src/grpc/status-details.js";
import { pipelineInput, startTestEnv, type TestEnv } from "./support.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const buf = join(root, "node_modules", "@bufbuild", "buf", "bin", "buf");
/** The literal key gRPC's error model uses; deliberately not our constant. */
const TRAILER = "grpc-status-details-bin";

interface StatusJson {
  code: number;
  message: string;
  details: ({ "@type": string } & Record<string, unknown>)[];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wire-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** buf convert between binary and JSON google.rpc.Status, with the proto/ module as its schema. */
async function convert(input: Buffer | string, from: "binpb" | "json"): Promise<Buffer> {
  const inFile = join(dir, `in.${from}`);
  const outFile = join(dir, from === "binpb" ? "out.json" : "out.binpb");
  await writeFile(inFile, input);
  await run(buf, ["convert", join(root, "proto"), "--type", "google.rpc.Status", "--from", inFile, "--to", outFile], { cwd: root });
  return readFile(outFile);
}

async function rejection(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("the call succeeded");
}

describe("the emulator's error trailers, decoded by buf", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it("INVALID_ARGUMENT carries a BadRequest under the standard key and type URL", async () => {
    const err = await rejection(env.k3.pipeline.createPipeline({ requestId: "wire-1", pipeline: pipelineInput("wire", { parameters: {} }) }));
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const [bytes] = err.metadata.get(TRAILER) as Buffer[];
    expect(bytes, `trailer ${TRAILER}`).toBeInstanceOf(Buffer);
    const status = JSON.parse((await convert(bytes!, "binpb")).toString()) as StatusJson;
    expect(status.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const badRequest = status.details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest");
    expect(badRequest?.fieldViolations).toEqual(expect.arrayContaining([expect.objectContaining({ field: "pipeline.parameters.chunkSize" })]));
  });

  it("NOT_FOUND carries an ErrorInfo under the standard type URL", async () => {
    const err = await rejection(env.k3.pipeline.getPipeline({ id: "pl_missing" }));
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
    const [bytes] = err.metadata.get(TRAILER) as Buffer[];
    const status = JSON.parse((await convert(bytes!, "binpb")).toString()) as StatusJson;
    expect(status.details).toEqual([expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", domain: "k3.dodil.io" })]);
  });
});

describe("our encoder (test servers use it), decoded by buf", () => {
  it("packs BadRequest and ErrorInfo under the standard type URLs", async () => {
    const bytes = encodeStatusDetails({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: "bad",
      fieldViolations: [{ field: "a.b", description: "required" }],
      errorInfo: { reason: "WHY", domain: "k3.dodil.io", metadata: { k: "v" } },
    });
    const status = JSON.parse((await convert(bytes, "binpb")).toString()) as StatusJson;
    expect(status).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: "bad",
      details: [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "a.b", description: "required" }] },
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "WHY", domain: "k3.dodil.io", metadata: { k: "v" } },
      ],
    });
  });
});

describe("the K3 client reads trailers that buf encoded", () => {
  let server: Server;
  let address: string;
  beforeAll(async () => {
    const status: StatusJson = {
      code: GrpcStatus.FAILED_PRECONDITION,
      message: "no",
      details: [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "pipeline.template", description: "unknown" }] },
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "TEMPLATE_GONE", domain: "k3.dodil.io", metadata: { template: "t" } },
      ],
    };
    const bytes = await convert(JSON.stringify(status), "json");
    server = new Server();
    const fail = (_call: unknown, callback: (err: Partial<ServiceError>) => void): void => {
      const metadata = new Metadata();
      metadata.set(TRAILER, bytes);
      callback({ code: GrpcStatus.FAILED_PRECONDITION, details: "no", metadata });
    };
    server.addService(PipelineServiceService, Object.fromEntries(Object.keys(PipelineServiceService).map((m) => [m, fail])));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    server?.forceShutdown();
  });

  it("decodes the violations and the ErrorInfo", async () => {
    const k3 = createK3Client({ endpoint: address, insecure: true });
    try {
      const err = await rejection(k3.pipeline.getPipeline({ id: "x" }));
      expect(isK3Error(err)).toBe(true);
      expect(err).toMatchObject({ fieldViolations: [{ field: "pipeline.template", description: "unknown" }], reason: "TEMPLATE_GONE", domain: "k3.dodil.io", metadata: { template: "t" } });
    } finally {
      k3.close();
    }
  });
});
