// One logical K3 call: auth and request-id metadata, per-attempt and overall deadlines, retry
// with backoff for retry-safe calls, one onCall report per attempt, and a single K3Error at
// the end. The typed client in k3-client.ts is a thin map over this.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Metadata, status, type Client, type ServiceError } from "@grpc/grpc-js";
import { codeName, K3Error, RETRYABLE_CODES } from "./errors.js";
import { backoffDelayMs, isRetrySafe, type RetryPolicy } from "./retry.js";

/** Metadata key of the per-call correlation id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** What the client reports after every attempt of every call (e.g. to Prometheus). */
export interface K3CallEvent {
  /** Fully-qualified service name, e.g. "dodil.k3.source.v1.SourceService". */
  service: string;
  /** RPC name, e.g. "CreateSource". */
  rpc: string;
  /** gRPC status name of the attempt's outcome: "OK", "UNAVAILABLE", … */
  code: string;
  /** Wall time of the attempt, in ms. */
  durationMs: number;
  /** Attempt number, from 1. */
  attempt: number;
  /** The x-request-id, the same for every attempt of one call. */
  requestId: string;
}

/** The subset of a pino logger the client uses; request bodies are never passed to it. */
export interface K3Logger {
  /** Logs a routine event. */
  debug(obj: object, msg: string): void;
  /** Logs an event an operator may want to see (a retry). */
  warn(obj: object, msg: string): void;
}

/** Per-call options of every client method. */
export interface K3CallOptions {
  /** Deadline of each attempt, in ms; defaults to the client's timeoutMs. */
  timeoutMs?: number;
  /** Deadline of the whole call, retries and backoff included, in ms; defaults to the client's. */
  totalTimeoutMs?: number;
  /** The x-request-id to send (e.g. one already in the caller's logs); a fresh UUID otherwise. */
  requestId?: string;
  /** Cancels the call, and any backoff wait, when aborted. */
  signal?: AbortSignal;
}

/** The fixed settings a CallRunner applies to every call. */
export interface CallRunnerSettings {
  /** Per-attempt deadline default, in ms. */
  timeoutMs: number;
  /** Whole-call deadline default, in ms. */
  totalTimeoutMs: number;
  /** Retry bounds. */
  retry: RetryPolicy;
  /** Bearer token supplier, read before every attempt. */
  token?: () => string | Promise<string>;
  /** Per-attempt report hook. */
  onCall?: (event: K3CallEvent) => void;
  /** Optional logger. */
  logger?: K3Logger;
  /** Source of randomness for backoff jitter, in [0, 1). */
  random: () => number;
}

/** A unary method as the generated service definitions describe it, with types erased. */
export interface ErasedMethod {
  /** "/package.Service/Rpc". */
  path: string;
  /** Serializes a request produced by the method's own fromPartial. */
  requestSerialize: (value: unknown) => Buffer;
  /** Deserializes the response. */
  responseDeserialize: (value: Buffer) => unknown;
}

/** One call to run: which method, and its normalized request. */
export interface CallSpec {
  /** Fully-qualified service name. */
  service: string;
  /** RPC name. */
  rpc: string;
  /** The method to invoke. */
  method: ErasedMethod;
  /** The full request message. */
  request: unknown;
}

// A failed attempt, whether the server, grpc-js or this module produced it.
interface Failure {
  code: status;
  details: string;
  metadata?: Metadata;
  cause: unknown;
}

interface CallState extends CallSpec {
  requestId: string;
  signal: AbortSignal;
  timeoutMs: number;
  overallDeadline: number;
}

/** Runs logical K3 calls over one grpc-js client (one channel) until close. */
export class CallRunner {
  readonly #client: Client;
  readonly #settings: CallRunnerSettings;
  readonly #closed = new AbortController();

  constructor(client: Client, settings: CallRunnerSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  /** Runs spec to completion: resolves with the response or rejects with a K3Error. */
  async run(spec: CallSpec, options: K3CallOptions): Promise<unknown> {
    const state = this.#newState(spec, options);
    const retrySafe = isRetrySafe(spec.rpc, spec.request);
    if (state.signal.aborted) throw this.#cancelled(state, 0);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(state, attempt);
      if (outcome.ok) return outcome.response;
      const delayMs = this.#retryDelay(state, outcome.failure, attempt, retrySafe);
      if (delayMs === undefined) throw this.#toK3Error(state, outcome.failure, attempt);
      this.#settings.logger?.warn(
        { service: state.service, rpc: state.rpc, code: codeName(outcome.failure.code), attempt, requestId: state.requestId, delayMs },
        "K3 call failed, retrying",
      );
      await sleep(delayMs, state.signal);
      if (state.signal.aborted) throw this.#cancelled(state, attempt);
    }
  }

  /** Cancels calls in flight and backoff waits; later calls reject. Does not close the channel. */
  close(): void {
    this.#closed.abort(new Error("K3 client closed"));
  }

  #newState(spec: CallSpec, options: K3CallOptions): CallState {
    const timeoutMs = options.timeoutMs ?? this.#settings.timeoutMs;
    const totalTimeoutMs = options.totalTimeoutMs ?? Math.max(this.#settings.totalTimeoutMs, timeoutMs);
    const signal = options.signal === undefined ? this.#closed.signal : AbortSignal.any([this.#closed.signal, options.signal]);
    return {
      ...spec,
      requestId: options.requestId !== undefined && options.requestId !== "" ? options.requestId : randomUUID(),
      signal,
      timeoutMs,
      overallDeadline: Date.now() + totalTimeoutMs,
    };
  }

  // The wait before the next attempt, or undefined when this failure ends the call: a code
  // not worth retrying, a call that may not be repeated, attempts used up, or no time left.
  #retryDelay(state: CallState, failure: Failure, attempt: number, retrySafe: boolean): number | undefined {
    if (!retrySafe || !RETRYABLE_CODES.has(failure.code) || state.signal.aborted) return undefined;
    if (attempt >= this.#settings.retry.maxAttempts) return undefined;
    const delayMs = backoffDelayMs(this.#settings.retry, attempt, this.#settings.random);
    return Date.now() + delayMs < state.overallDeadline ? delayMs : undefined;
  }

  // One attempt; a failure the retry loop may act on is returned, a final one (cancellation,
  // no token) is thrown as a K3Error.
  async #attempt(
    state: CallState,
    attempt: number,
  ): Promise<{ ok: true; response: unknown } | { ok: false; failure: Failure }> {
    const metadata = await this.#metadata(state, attempt);
    const deadline = new Date(Math.min(Date.now() + state.timeoutMs, state.overallDeadline));
    const started = performance.now();
    try {
      const response = await this.#unary(state, metadata, deadline);
      this.#report(state, attempt, status.OK, started);
      return { ok: true, response };
    } catch (err) {
      const failure = toFailure(err);
      this.#report(state, attempt, failure.code, started);
      if (state.signal.aborted) throw this.#cancelled(state, attempt);
      return { ok: false, failure };
    }
  }

  async #metadata(state: CallState, attempt: number): Promise<Metadata> {
    const metadata = new Metadata();
    metadata.set(REQUEST_ID_HEADER, state.requestId);
    if (this.#settings.token === undefined) return metadata;
    let token: string;
    try {
      token = await this.#settings.token();
    } catch (cause) {
      // No token means no call can succeed: classified as an auth failure, never retried here.
      throw this.#toK3Error(state, { code: status.UNAUTHENTICATED, details: "cannot read the K3 token", cause }, attempt);
    }
    if (token !== "") metadata.set("authorization", `Bearer ${token}`);
    return metadata;
  }

  #unary(state: CallState, metadata: Metadata, deadline: Date): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        state.method.path,
        state.method.requestSerialize,
        state.method.responseDeserialize,
        state.request,
        metadata,
        { deadline },
        (err, response) => {
          state.signal.removeEventListener("abort", cancel);
          if (err !== null) reject(err);
          else resolve(response);
        },
      );
      // A declaration, so the callback may name it even before this line runs.
      function cancel(): void {
        call.cancel();
      }
      state.signal.addEventListener("abort", cancel, { once: true });
    });
  }

  #report(state: CallState, attempt: number, code: status, started: number): void {
    const event: K3CallEvent = {
      service: state.service,
      rpc: state.rpc,
      code: codeName(code),
      durationMs: performance.now() - started,
      attempt,
      requestId: state.requestId,
    };
    this.#settings.logger?.debug(event, "K3 call attempt");
    try {
      this.#settings.onCall?.(event);
    } catch (err) {
      // A broken metrics hook must not fail the call it observes.
      this.#settings.logger?.warn({ err, rpc: state.rpc }, "K3 onCall hook threw");
    }
  }

  #cancelled(state: CallState, attempt: number): K3Error {
    const reason: unknown = state.signal.reason;
    const details = reason instanceof Error ? reason.message : "call cancelled";
    return this.#toK3Error(state, { code: status.CANCELLED, details, cause: reason }, attempt);
  }

  #toK3Error(state: CallState, failure: Failure, attempts: number): K3Error {
    return new K3Error({ ...failure, service: state.service, rpc: state.rpc, requestId: state.requestId, attempts });
  }
}

// grpc-js rejects with a ServiceError; anything else (a serializer throwing on a malformed
// request) is a local bug and classified as INTERNAL.
function toFailure(err: unknown): Failure {
  if (isServiceError(err)) return { code: err.code, details: err.details, metadata: err.metadata, cause: err };
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err), cause: err };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && typeof (err as Partial<ServiceError>).details === "string";
}

// Resolves after ms, or at once when signal aborts (the caller's next attempt sees the abort).
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
