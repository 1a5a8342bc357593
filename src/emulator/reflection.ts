// gRPC server reflection and health for the emulator, so that grpcurl, Postman, Kreya and
// similar tools can list, describe and call the K3 services without proto files.
//
// Why not `new ReflectionService(loadSync(protoFiles))`: proto-loader merges files by package
// under made-up names ("dodil_k3_source_v1.proto") and drops their imports, so a client that
// resolves `google.protobuf.Timestamp` through the file's declared dependencies finds nothing
// (issue 12). We hand the reflection service buf's own FileDescriptorSet instead (generated
// into src/grpc/gen/descriptor-set.ts): real file names, real imports, the google/protobuf and
// google/rpc files included, comments kept.
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { Server } from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { compiledFiles, K3_SERVICE_NAMES } from "../grpc/service-schema.js";

/** Names of the files reflection serves (ours and every file they import), in dependency order. */
export function reflectedFileNames(): string[] {
  return compiledFiles().map((f) => f.name);
}

/**
 * The descriptor set in the one shape @grpc/reflection reads: package-definition entries
 * carrying `fileDescriptorProtos` (it indexes files by their own names and follows type
 * references between them). One entry holds every file.
 */
function reflectionDefinition(): PackageDefinition {
  const fileDescriptorProtos = compiledFiles().map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
  // Only `fileDescriptorProtos` is read; the other members of a message definition are unused there.
  return { "k3.descriptor-set": { format: "", type: {}, fileDescriptorProtos } } as unknown as PackageDefinition;
}

/** Adds the reflection (v1 and v1alpha) and standard health services to a server. */
export function addReflectionAndHealth(server: Server): HealthImplementation {
  new ReflectionService(reflectionDefinition(), { services: [...K3_SERVICE_NAMES] }).addToServer(server);
  const health = new HealthImplementation({ "": "SERVING", ...Object.fromEntries(K3_SERVICE_NAMES.map((name) => [name, "SERVING" as const])) });
  health.addToServer(server);
  return health;
}
