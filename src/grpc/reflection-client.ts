// A gRPC server-reflection client: asks an endpoint for the files that declare some symbols,
// and for every file those import, over one ServerReflectionInfo stream. The request and
// response messages come from the reflection.proto files that @grpc/reflection ships (loaded by
// proto-loader); v1 is tried first, then v1alpha, which older servers offer alone.
import { createRequire } from "node:module";
import path from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { loadPackageDefinition, Metadata, status, type ChannelCredentials, type ClientDuplexStream, type ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/** Where and how to reach an endpoint's reflection service. */
export interface ReflectionTarget {
  /** "host:port". */
  endpoint: string;
  credentials: ChannelCredentials;
  /** Bearer token sent as `authorization`, for endpoints that guard reflection too. */
  token?: string;
  /** Deadline of the whole exchange, in ms (default 10 000). */
  timeoutMs?: number;
  /** Cancels the exchange (the operator stopping before the endpoint answered). */
  signal?: AbortSignal;
}

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
}

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

type ReflectionStream = ClientDuplexStream<ReflectionRequest, ReflectionResponse>;

const VERSIONS = ["v1", "v1alpha"] as const;

function reflectionClient(version: (typeof VERSIONS)[number]): ServiceClientConstructor {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve("@grpc/reflection/package.json"));
  const file = path.join(packageDir, "build", "proto", "grpc", "reflection", version, "reflection.proto");
  const loaded = loadPackageDefinition(loadSync(file, { keepCase: true, longs: Number, enums: Number, defaults: true, oneofs: true }));
  // loadPackageDefinition nests by package: grpc.reflection.<version>.ServerReflection.
  const grpcNamespace = loaded.grpc as Record<string, Record<string, Record<string, ServiceClientConstructor>>>;
  const service = grpcNamespace.reflection?.[version]?.ServerReflection;
  if (service === undefined) throw new Error(`@grpc/reflection's ${version}/reflection.proto declares no ServerReflection service`);
  return service;
}

/** Thrown when the endpoint answers a reflection request with an error of its own. */
export class ReflectionError extends Error {
  constructor(
    message: string,
    /** The gRPC status code the endpoint gave, when it gave one. */
    readonly code?: number,
  ) {
    super(message);
  }
}

/**
 * The files declaring `symbols` and all their imports, as the endpoint describes them (a symbol
 * it does not know is left out); undefined when the endpoint offers no reflection (UNIMPLEMENTED
 * on both versions). Other failures (unreachable, deadline, a refused request) are thrown.
 */
export async function fetchReflectedFiles(target: ReflectionTarget, symbols: readonly string[]): Promise<FileDescriptorProto[] | undefined> {
  for (const version of VERSIONS) {
    try {
      return await exchange(reflectionClient(version), target, symbols);
    } catch (error) {
      if ((error as { code?: unknown }).code === status.UNIMPLEMENTED) continue;
      throw error;
    }
  }
  return undefined;
}

async function exchange(Client: ServiceClientConstructor, target: ReflectionTarget, symbols: readonly string[]): Promise<FileDescriptorProto[]> {
  const client = new Client(target.endpoint, target.credentials);
  const metadata = new Metadata();
  if (target.token !== undefined && target.token !== "") metadata.set("authorization", `Bearer ${target.token}`);
  const method = client.ServerReflectionInfo as (metadata: Metadata, options: { deadline: number }) => ReflectionStream;
  const stream = method.call(client, metadata, { deadline: Date.now() + (target.timeoutMs ?? 10_000) });
  const cancel = (): void => stream.cancel();
  target.signal?.addEventListener("abort", cancel, { once: true });
  try {
    const ask = answersInOrder(stream);
    const files = new Map<string, FileDescriptorProto>();
    // The files of an answer not seen before; their imports are what may still be missing.
    const add = (response: ReflectionResponse): string[] => {
      const added: FileDescriptorProto[] = [];
      for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
        const file = fromBinary(FileDescriptorProtoSchema, bytes);
        if (!files.has(file.name)) {
          files.set(file.name, file);
          added.push(file);
        }
      }
      return added.flatMap((file) => file.dependency);
    };
    const refusal = (response: ReflectionResponse, asked: string): ReflectionError | undefined => {
      const error = response.error_response;
      return error === undefined ? undefined : new ReflectionError(`reflection of ${asked}: ${error.error_message} (code ${error.error_code})`, error.error_code);
    };
    let missing = new Set<string>();
    for (const symbol of symbols) {
      const response = await ask({ file_containing_symbol: symbol });
      const refused = refusal(response, symbol);
      // A symbol the endpoint does not know is an answer (the comparison reports it), not a failure.
      if (refused?.code === status.NOT_FOUND) continue;
      if (refused !== undefined) throw refused;
      for (const dependency of add(response)) missing.add(dependency);
    }
    // Servers may send a file's imports with it (grpc-go does) or not: ask for what is still missing.
    while ([...missing].some((name) => !files.has(name))) {
      const next = new Set<string>();
      for (const name of missing) {
        if (files.has(name)) continue;
        const response = await ask({ file_by_filename: name });
        const refused = refusal(response, name);
        if (refused !== undefined) throw refused;
        for (const dependency of add(response)) next.add(dependency);
      }
      missing = next;
    }
    return [...files.values()];
  } finally {
    target.signal?.removeEventListener("abort", cancel);
    stream.end();
    client.close();
  }
}

/** Sends one request at a time and resolves with its answer (the stream answers in order). */
function answersInOrder(stream: ReflectionStream): (request: ReflectionRequest) => Promise<ReflectionResponse> {
  const waiting: { resolve: (r: ReflectionResponse) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  stream.on("data", (response: ReflectionResponse) => waiting.shift()?.resolve(response));
  stream.on("error", (error: Error) => {
    failure = error;
    for (const w of waiting.splice(0)) w.reject(error);
  });
  stream.on("end", () => {
    failure ??= new ReflectionError("the reflection stream ended before answering");
    for (const w of waiting.splice(0)) w.reject(failure);
  });
  return (request) =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      waiting.push({ resolve, reject });
      stream.write({ host: "", ...request });
    });
}
