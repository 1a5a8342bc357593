// The server around the K3 services: standard health checking and gRPC server reflection
// (so grpcurl works without proto files), and the in-process handle.
import { createRequire } from "node:module";
import { credentials, loadPackageDefinition, makeGenericClientConstructor, type Client, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K3_RPC_NAMES } from "../../../src/emulator/index.js";
import { startTestEnv, type TestEnv } from "./support.js";

const require = createRequire(import.meta.url);

interface HealthClient extends Client {
  check(request: { service: string }, callback: (error: ServiceError | null, response: { status: string }) => void): void;
}
interface ReflectionResponse { list_services_response?: { service: { name: string }[] }; file_descriptor_response?: { file_descriptor_proto: Buffer[] } }
interface ReflectionClient extends Client {
  ServerReflectionInfo(): ClientDuplexStream<Record<string, string>, ReflectionResponse>;
}

describe("server", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  it("binds 127.0.0.1 on a free port", () => {
    expect(env.emu.address).toBe(`127.0.0.1:${env.emu.port}`);
    expect(env.emu.port).toBeGreaterThan(0);
  });

  it("knows all 31 RPCs", () => {
    expect(K3_RPC_NAMES.size).toBe(31);
  });

  it.each(["", "dodil.k3.source.v1.SourceService", "dodil.k3.pipeline.v1.PipelineService", "dodil.k3.ingest.v1.IngestService"])(
    "reports SERVING for health service %j",
    async (name) => {
      const Health = makeGenericClientConstructor(healthService, "Health");
      const client = new Health(env.emu.address, credentials.createInsecure()) as unknown as HealthClient;
      const answer = await new Promise<{ status: string }>((resolve, reject) => {
        client.check({ service: name }, (error, response) => (error ? reject(error) : resolve(response)));
      });
      client.close();
      expect(answer.status).toBe("SERVING");
    },
  );

  it("serves reflection: lists the K3 services and returns their file descriptors", async () => {
    const protoPath = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
    const definition = loadSync(protoPath, { keepCase: true });
    const pkg = loadPackageDefinition(definition) as unknown as { grpc: { reflection: { v1: { ServerReflection: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => ReflectionClient } } } };
    const client = new pkg.grpc.reflection.v1.ServerReflection(env.emu.address, credentials.createInsecure());
    const ask = (request: Record<string, string>) => new Promise<ReflectionResponse>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on("data", (response: ReflectionResponse) => {
        resolve(response);
        stream.end();
      });
      stream.on("error", reject);
      stream.write(request);
    });
    const listed = await ask({ list_services: "" });
    const names = listed.list_services_response?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(["dodil.k3.source.v1.SourceService", "dodil.k3.pipeline.v1.PipelineService", "dodil.k3.ingest.v1.IngestService"]));
    const files = await ask({ file_containing_symbol: "dodil.k3.pipeline.v1.PipelineService" });
    const descriptors = files.file_descriptor_response?.file_descriptor_proto ?? [];
    expect(descriptors.length).toBeGreaterThan(0);
    expect(Buffer.concat(descriptors).toString("latin1")).toContain("CreatePipeline");
    client.close();
  });
});
