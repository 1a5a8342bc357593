// Promise-based clients of the three K3 services over the generated grpc-js stubs, for the
// emulator's tests and benches (and other tests that want to look at emulator state).
// Production code talks to K3 through src/grpc/k3-client.ts instead.
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import * as ingestPb from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import * as pipelinePb from "../grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import * as sourcePb from "../grpc/gen/dodil/k3/source/v1/source.js";
import type { UnaryServiceDefinition } from "./context.js";

type Builtin = Date | Buffer | string | number | boolean | undefined;
/** Like the generated DeepPartial: every field optional, recursively. */
export type DeepPartial<T> = T extends Builtin ? T
  : T extends ReadonlyArray<infer U> ? DeepPartial<U>[]
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> }
  : T;

/** Per-call options. */
export interface TestCallOptions {
  /** Bearer token for this call; null sends no authorization metadata. Default the client's. */
  token?: string | null;
  /** Deadline in milliseconds from now; default 10 000. */
  deadlineMs?: number;
}

/** One promise-returning method per RPC; requests are completed with proto3 defaults. */
export type PromiseClient<D extends UnaryServiceDefinition> = {
  [K in keyof D]: (
    request: DeepPartial<ReturnType<D[K]["requestDeserialize"]>>,
    options?: TestCallOptions,
  ) => Promise<ReturnType<D[K]["responseDeserialize"]>>;
};

/** The three K3 services, bound to one address and default token. */
export interface K3TestClient {
  source: PromiseClient<typeof sourcePb.SourceServiceService>;
  pipeline: PromiseClient<typeof pipelinePb.PipelineServiceService>;
  ingest: PromiseClient<typeof ingestPb.IngestServiceService>;
  /** Closes the channels. */
  close(): void;
}

/** A generated message namespace: request types are looked up by name. */
type MessageModule = Record<string, unknown>;
interface PartialBuilder { fromPartial(object: unknown): unknown }
type UnaryMethod = (request: unknown, metadata: Metadata, options: { deadline: Date }, callback: (error: ServiceError | null, response: unknown) => void) => unknown;
interface GrpcClient { close(): void }

function promisify<D extends UnaryServiceDefinition>(options: {
  definition: D;
  messages: MessageModule;
  client: GrpcClient;
  token: string;
}): PromiseClient<D> {
  const methods: Record<string, unknown> = {};
  for (const method of Object.keys(options.definition)) {
    const requestType = options.messages[`${method[0]?.toUpperCase() ?? ""}${method.slice(1)}Request`] as PartialBuilder;
    const call = (options.client as unknown as Record<string, UnaryMethod>)[method] as UnaryMethod;
    methods[method] = (request: unknown, callOptions: TestCallOptions = {}) => new Promise((resolve, reject) => {
      const metadata = new Metadata();
      const token = callOptions.token === undefined ? options.token : callOptions.token;
      if (token !== null) metadata.set("authorization", `Bearer ${token}`);
      const deadline = new Date(Date.now() + (callOptions.deadlineMs ?? 10_000));
      call.call(options.client, requestType.fromPartial(request), metadata, { deadline }, (error, response) => {
        if (error !== null) reject(error);
        else resolve(response);
      });
    });
  }
  return methods as PromiseClient<D>;
}

/** Connects plaintext clients of the three services to `address`, sending `token`. */
export function connectTestClient(options: { address: string; token: string }): K3TestClient {
  const creds = credentials.createInsecure();
  const clients = {
    source: new sourcePb.SourceServiceClient(options.address, creds),
    pipeline: new pipelinePb.PipelineServiceClient(options.address, creds),
    ingest: new ingestPb.IngestServiceClient(options.address, creds),
  };
  return {
    source: promisify({ definition: sourcePb.SourceServiceService, messages: sourcePb, client: clients.source, token: options.token }),
    pipeline: promisify({ definition: pipelinePb.PipelineServiceService, messages: pipelinePb, client: clients.pipeline, token: options.token }),
    ingest: promisify({ definition: ingestPb.IngestServiceService, messages: ingestPb, client: clients.ingest, token: options.token }),
    close: () => Object.values(clients).forEach((c) => c.close()),
  };
}
