// The production K3 client: one channel, the three services, every method promise-returning
// and typed from the generated service definitions, so a new RPC in the proto appears here
// with no hand-written code.
import { ChannelCredentials, Client, credentials, type ChannelOptions } from "@grpc/grpc-js";
import {
  CallRunner,
  type CallRunnerSettings,
  type ErasedMethod,
  type K3CallEvent,
  type K3CallOptions,
  type K3Logger,
} from "./call-runner.js";
import * as ingestv1 from "./gen/dodil/k3/ingest/v1/ingest.js";
import * as pipelinev1 from "./gen/dodil/k3/pipeline/v1/pipeline.js";
import * as sourcev1 from "./gen/dodil/k3/source/v1/source.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";

/** A generated unary method definition, reduced to what the client needs. */
export interface K3MethodDefinition {
  /** "/package.Service/Rpc". */
  readonly path: string;
  /** Request serializer; `never` accepts every request type (parameters are contravariant). */
  readonly requestSerialize: (value: never) => Buffer;
  /** Response deserializer. */
  readonly responseDeserialize: (value: Buffer) => unknown;
}

/** A generated service definition (e.g. SourceServiceService): method name → definition. */
export type K3ServiceDefinition = Record<string, K3MethodDefinition>;

/** The request message type of a method definition. */
export type K3Request<M> = M extends { requestSerialize: (value: infer Req) => Buffer } ? Req : never;

/** The response message type of a method definition. */
export type K3Response<M> = M extends { responseDeserialize: (value: Buffer) => infer Res } ? Res : never;

type Builtin = Date | Uint8Array | string | number | boolean | undefined;

/** A message with every field optional, recursively; omitted fields take their proto defaults. */
export type DeepPartial<T> = T extends Builtin
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : Partial<T>;

/** A service's methods as promise-returning functions: `getSource(req, options?) → Promise<GetSourceResponse>`. */
export type K3ServiceClient<S extends K3ServiceDefinition> = {
  readonly [K in keyof S]: (request: DeepPartial<K3Request<S[K]>>, options?: K3CallOptions) => Promise<K3Response<S[K]>>;
};

/** The K3 API: one typed client per service, over one channel. */
export interface K3Client {
  /** dodil.k3.source.v1.SourceService: sources, credentials, OAuth. */
  readonly source: K3ServiceClient<sourcev1.SourceServiceService>;
  /** dodil.k3.pipeline.v1.PipelineService: pipelines and templates. */
  readonly pipeline: K3ServiceClient<pipelinev1.PipelineServiceService>;
  /** dodil.k3.ingest.v1.IngestService: rules, syncs and ingest jobs. */
  readonly ingest: K3ServiceClient<ingestv1.IngestServiceService>;
  /** Cancels calls in flight, rejects later calls, and closes the channel. */
  close(): void;
}

/** Options of createK3Client; only endpoint is required. */
export interface K3ClientOptions {
  /** "host:port" of the K3 gRPC endpoint. */
  endpoint: string;
  /** Plaintext instead of TLS (emulator, tests); TLS is the default. */
  insecure?: boolean;
  /** PEM root certificates for TLS; the system roots otherwise. */
  ca?: Buffer;
  /** Bearer token supplier, called before every attempt so a rotated token needs no restart. */
  token?: () => string | Promise<string>;
  /** Deadline of each attempt, in ms (default 10 000). */
  timeoutMs?: number;
  /** Deadline of a whole call, retries and backoff included, in ms (default 30 000). */
  totalTimeoutMs?: number;
  /** Retry bounds (default DEFAULT_RETRY_POLICY). */
  retry?: Partial<RetryPolicy>;
  /** Called after every attempt of every call, for metrics; exceptions are logged and ignored. */
  onCall?: (event: K3CallEvent) => void;
  /** Logger (pino or compatible); never receives request or response bodies. */
  logger?: K3Logger;
  /** Interval of HTTP/2 keepalive pings while calls are active, in ms (default 60 000). */
  keepaliveTimeMs?: number;
  /** How long a keepalive ping may go unanswered before the connection is dropped, in ms (default 20 000). */
  keepaliveTimeoutMs?: number;
  /** Extra grpc-js channel options; they win over the ones derived above. */
  channelOptions?: ChannelOptions;
  /** Randomness for backoff jitter, in [0, 1) (default Math.random); tests pin it. */
  random?: () => number;
}

/** Creates a K3 client; it connects lazily, on the first call. */
export function createK3Client(options: K3ClientOptions): K3Client {
  const channel = new Client(options.endpoint, k3ChannelCredentials(options), channelOptions(options));
  const settings: CallRunnerSettings = {
    timeoutMs: options.timeoutMs ?? 10_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 30_000,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    token: options.token,
    onCall: options.onCall,
    logger: options.logger,
    random: options.random ?? Math.random,
  };
  const runner = new CallRunner(channel, settings);
  return Object.freeze({
    source: bindService(sourcev1.SourceServiceService, sourcev1, runner),
    pipeline: bindService(pipelinev1.PipelineServiceService, pipelinev1, runner),
    ingest: bindService(ingestv1.IngestServiceService, ingestv1, runner),
    close(): void {
      runner.close();
      channel.close();
    },
  });
}

/** The channel credentials of a K3 endpoint: plaintext when asked, TLS with the given or the system roots otherwise. */
export function k3ChannelCredentials(options: Pick<K3ClientOptions, "insecure" | "ca">): ChannelCredentials {
  return options.insecure === true ? credentials.createInsecure() : credentials.createSsl(options.ca ?? null);
}

// Keepalive pings only while calls are active: servers commonly answer idle pings more often
// than every 5 minutes with GOAWAY (too_many_pings).
function channelOptions(options: K3ClientOptions): ChannelOptions {
  return {
    "grpc.keepalive_time_ms": options.keepaliveTimeMs ?? 60_000,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs ?? 20_000,
    "grpc.keepalive_permit_without_calls": 0,
    "grpc.primary_user_agent": "k3-operator",
    ...options.channelOptions,
  };
}

interface RequestMessage {
  fromPartial(object: unknown): unknown;
}

function isRequestMessage(value: unknown): value is RequestMessage {
  return typeof value === "object" && value !== null && "fromPartial" in value && typeof value.fromPartial === "function";
}

// Each method's request message is `${Rpc}Request` in the same generated module (AIP naming,
// enforced by buf lint); it fills omitted fields with defaults so callers may pass partials.
function bindService<S extends K3ServiceDefinition>(
  definition: S,
  messages: object,
  runner: CallRunner,
): K3ServiceClient<S> {
  const bound: Record<string, (request: unknown, options?: K3CallOptions) => Promise<unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const service = method.path.slice(1, method.path.lastIndexOf("/"));
    const rpc = method.path.slice(method.path.lastIndexOf("/") + 1);
    const requestType: unknown = (messages as Record<string, unknown>)[`${rpc}Request`];
    if (!isRequestMessage(requestType)) {
      throw new Error(`cannot bind ${method.path}: no ${rpc}Request message in its generated module`);
    }
    // The definition's serializer takes exactly the message fromPartial builds.
    const erased = method as unknown as ErasedMethod;
    bound[name] = (request, options) =>
      runner.run({ service, rpc, method: erased, request: requestType.fromPartial(request ?? {}) }, options ?? {});
  }
  return Object.freeze(bound) as K3ServiceClient<S>;
}
