// The gRPC plumbing around the handlers: every call is counted, delayed by injected latency,
// authenticated, possibly failed by an injected fault, run against the caller's tenant (whose
// due schedules fire first), and possibly has its answer "lost" after the state change
// committed, or malformed on purpose. Handler errors become statuses with google.rpc.Status
// details.
import { setTimeout as sleep } from "node:timers/promises";
import {
  Server,
  type ServerUnaryCall,
  type sendUnaryData,
  status as GrpcStatus,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { IngestServiceService } from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { PipelineServiceService } from "../grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { SourceServiceService } from "../grpc/gen/dodil/k3/source/v1/source.js";
import { authenticate } from "./auth.js";
import type { Clock } from "./clock.js";
import type { CallContext, Handlers, UnaryServiceDefinition } from "./context.js";
import type { CallCounters } from "./counters.js";
import { EmulatorError, toStatusObject } from "./errors.js";
import type { FaultInjector } from "./faults.js";
import { hugeErrorMessage, RawAnswer, withoutFilter, withUnknownEnums } from "./malformed.js";
import { addReflectionAndHealth } from "./reflection.js";
import { fireDueSchedules } from "./schedules.js";
import { credentialHandlers } from "./services/credential.js";
import { jobHandlers } from "./services/jobs.js";
import { oauthHandlers } from "./services/oauth.js";
import { pipelineHandlers } from "./services/pipeline.js";
import { ruleHandlers } from "./services/rule.js";
import { sourceHandlers } from "./services/source.js";
import { syncHandlers } from "./services/sync.js";
import type { Store } from "./store.js";

/** What the call wrapper needs. */
export interface ServerEnv {
  secret: string;
  clock: Clock;
  store: Store;
  counters: CallCounters;
  faults: FaultInjector;
  logger: Logger;
}

/** Proto name of a method from its path, e.g. "/dodil.k3.source.v1.SourceService/GetSource" → "GetSource". */
export function rpcName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Proto names of every K3 RPC (31). */
export const K3_RPC_NAMES: ReadonlySet<string> = new Set(
  ([SourceServiceService, PipelineServiceService, IngestServiceService] as UnaryServiceDefinition[])
    .flatMap((def) => Object.values(def).map((m) => rpcName(m.path))),
);

type AnyHandler = (ctx: CallContext, request: unknown) => unknown;

async function runCall(env: ServerEnv, rpc: string, handler: AnyHandler, call: ServerUnaryCall<unknown, unknown>): Promise<unknown> {
  env.counters.record(rpc);
  const latency = env.faults.latencyFor(rpc);
  if (latency > 0) await sleep(latency);
  const now = env.clock.now();
  const claims = await authenticate(call.metadata, env.secret, now);
  env.counters.recordTenant(claims.tenant, rpc);
  const injected = env.faults.takeFailure(rpc);
  if (injected !== undefined) throw injected;
  const malformed = env.faults.takeMalformed(rpc);
  if (malformed?.kind === "huge-error") throw new EmulatorError({ code: malformed.code, message: hugeErrorMessage(rpc), reason: "INJECTED_FAULT" });
  const ctx = { rpc, tenant: env.store.tenant(claims.tenant, now), now, clock: env.clock };
  fireDueSchedules(ctx);
  const response = handler(ctx, malformed?.kind === "ignore-filter" ? withoutFilter(call.request) : call.request);
  if (env.faults.takeLostAnswer(rpc)) {
    throw new EmulatorError({ code: GrpcStatus.UNAVAILABLE, message: `connection lost after ${rpc} committed (injected fault)`, reason: "INJECTED_ANSWER_LOST" });
  }
  if (malformed?.kind === "empty-body") return new RawAnswer(Buffer.alloc(0));
  if (malformed?.kind === "unknown-enum") {
    // A copy: handlers may answer with objects the store still holds.
    const bent = structuredClone(response);
    withUnknownEnums(rpc, bent);
    return bent;
  }
  return response;
}

/** The service definition with answers of type {@link RawAnswer} sent as their bytes. */
function withRawAnswers<D extends UnaryServiceDefinition>(definition: D): D {
  const wrapped: Record<string, unknown> = {};
  for (const [method, spec] of Object.entries(definition)) {
    const serialize = (spec as unknown as { responseSerialize: (value: unknown) => Buffer }).responseSerialize;
    wrapped[method] = { ...spec, responseSerialize: (value: unknown) => (value instanceof RawAnswer ? value.bytes : serialize(value)) };
  }
  return wrapped as D;
}

function bindService<D extends UnaryServiceDefinition>(env: ServerEnv, definition: D, handlers: Handlers<D>): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const rpc = rpcName(spec.path);
    const handler = handlers[method] as AnyHandler;
    implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      runCall(env, rpc, handler, call).then(
        (response) => {
          env.logger.debug({ rpc, ms: Math.round(performance.now() - started) }, "call ok");
          callback(null, response);
        },
        (error: unknown) => {
          const failure = error instanceof EmulatorError
            ? error
            : new EmulatorError({ code: GrpcStatus.INTERNAL, message: `internal emulator error in ${rpc}`, reason: "INTERNAL" });
          if (!(error instanceof EmulatorError)) env.logger.error({ rpc, err: error }, "handler crashed");
          env.logger.debug({ rpc, code: GrpcStatus[failure.code], ms: Math.round(performance.now() - started) }, "call failed");
          callback(toStatusObject(failure));
        },
      );
    };
  }
  return implementation;
}

/** Creates a grpc-js server with the three K3 services, reflection and health. */
export function createServer(env: ServerEnv): Server {
  const server = new Server();
  server.addService(withRawAnswers(SourceServiceService), bindService(env, SourceServiceService, { ...sourceHandlers, ...credentialHandlers, ...oauthHandlers }));
  server.addService(withRawAnswers(PipelineServiceService), bindService(env, PipelineServiceService, pipelineHandlers));
  server.addService(withRawAnswers(IngestServiceService), bindService(env, IngestServiceService, { ...ruleHandlers, ...syncHandlers, ...jobHandlers }));
  addReflectionAndHealth(server);
  return server;
}
