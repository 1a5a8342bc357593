// At start the operator compares the K3 services it was compiled with against what the
// endpoint's reflection describes (issue 12). The counterpart here is not only our emulator:
// a plain grpc-js server with @grpc/reflection's own service (a library we did not write)
// serves a descriptor set changed the way a real service might differ.
import { clone, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkServiceSchema, compiledFiles, K3_SERVICE_NAMES } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { installCrds, startTestOperator, startTestService, type TestService } from "../support/operator.js";

/** A server offering only what `setUp` adds (reflection, health), on a free loopback port. */
async function startServer(setUp: (server: Server) => void): Promise<{ endpoint: string; stop(): void }> {
  const server = new Server();
  setUp(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { endpoint: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** @grpc/reflection serving these files, as the emulator hands it buf's descriptor set. */
function reflectionOf(files: readonly FileDescriptorProto[]): (server: Server) => void {
  const fileDescriptorProtos = files.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
  // Only `fileDescriptorProtos` is read by @grpc/reflection; the rest of the shape is unused.
  const definition = { "test.descriptor-set": { format: "", type: {}, fileDescriptorProtos } } as unknown as PackageDefinition;
  return (server) => new ReflectionService(definition, { services: [...K3_SERVICE_NAMES] }).addToServer(server);
}

const insecure = credentials.createInsecure();

describe("service descriptors checked against the endpoint's reflection", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService("schema-tests");
  });

  afterAll(async () => {
    await service?.emulator.stop();
  });

  it("the emulator serves the services exactly as compiled", async () => {
    expect(await checkServiceSchema({ endpoint: service.emulator.address, credentials: insecure })).toEqual([]);
  });

  it("a server whose reflection numbers a field differently is reported, field by field", async () => {
    const files = compiledFiles().map((file) => clone(FileDescriptorProtoSchema, file));
    const pipeline = files.find((f) => f.package === "dodil.k3.pipeline.v1")?.messageType.find((m) => m.name === "Pipeline");
    const field = pipeline?.field.find((f) => f.name === "display_name");
    if (field === undefined) throw new Error("Pipeline has no display_name");
    const ours = field.number;
    field.number = 77;
    const server = await startServer(reflectionOf(files));
    try {
      expect(await checkServiceSchema({ endpoint: server.endpoint, credentials: insecure })).toEqual([
        `dodil.k3.pipeline.v1.Pipeline.display_name: number ${ours} here, 77 at the endpoint`,
      ]);
    } finally {
      server.stop();
    }
  });

  it("a server without reflection is not compared (undefined), and says nothing wrong", async () => {
    const server = await startServer((s) => new HealthImplementation({ "": "SERVING" }).addToServer(s));
    try {
      expect(await checkServiceSchema({ endpoint: server.endpoint, credentials: insecure })).toBeUndefined();
    } finally {
      server.stop();
    }
  });

  describe("the operator at start", () => {
    let operator: RunningOperator;
    const lines: string[] = [];

    beforeAll(async () => {
      await installCrds();
      operator = await startTestOperator(service, ["--namespaces", "t-schema-none"], { write: (line) => void lines.push(line) });
    });

    afterAll(async () => {
      await operator?.stop();
    });

    it("logs that the emulator matches, and exports 0 differences and the leader gauge", async () => {
      await expect.poll(() => lines.some((l) => l.includes("the K3 endpoint serves the services as compiled")), { timeout: 15_000 }).toBe(true);
      const text = await operator.metrics.registry.metrics();
      expect(text).toContain(`k3_external_schema_differences{endpoint="${service.emulator.address}"} 0`);
      expect(text).toMatch(/^k3_leader\{lease="k3-operator"\} 1$/m);
    });
  });
});
