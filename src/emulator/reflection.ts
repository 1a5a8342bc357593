// gRPC server reflection and health for the emulator, so that grpcurl and similar tools can
// list and call the K3 services without proto files.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";

/** Fully qualified names of the three K3 services. */
export const K3_SERVICE_NAMES = [
  "dodil.k3.source.v1.SourceService",
  "dodil.k3.pipeline.v1.PipelineService",
  "dodil.k3.ingest.v1.IngestService",
] as const;

const PROTO_FILES = [
  "dodil/k3/source/v1/source.proto",
  "dodil/k3/pipeline/v1/pipeline.proto",
  "dodil/k3/ingest/v1/ingest.proto",
];

/** Finds the repository's `proto/` folder by walking up from this module. */
export function findProtoRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, PROTO_FILES[0] as string))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the proto/ folder above ${start}`);
    dir = parent;
  }
}

/** Adds the reflection (v1 and v1alpha) and standard health services to a server. */
export function addReflectionAndHealth(server: Server, protoRoot = findProtoRoot()): HealthImplementation {
  const definition = loadSync(PROTO_FILES, { includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  new ReflectionService(definition).addToServer(server);
  const health = new HealthImplementation({ "": "SERVING", ...Object.fromEntries(K3_SERVICE_NAMES.map((name) => [name, "SERVING" as const])) });
  health.addToServer(server);
  return health;
}
