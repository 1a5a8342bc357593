// Fault injection: added latency (global and per RPC), errors (deterministic "fail the next N
// calls" and a probabilistic rate per RPC), lost answers (the call commits, then the client
// gets UNAVAILABLE as if the connection dropped; next N or at a rate) and malformed answers
// (malformed.ts). RPC names are the proto names ("CreatePipeline"); "*" means every RPC.
import { status as GrpcStatus } from "@grpc/grpc-js";
import { EmulatorError } from "./errors.js";
import type { MalformedKind } from "./malformed.js";

/** An error rate of one RPC. */
export interface ErrorRate {
  /** Probability in [0, 1] that a call fails. */
  rate: number;
  /** The status code of the injected error. */
  code: GrpcStatus;
}

/** Faults to start with (all can be changed at run time through {@link FaultInjector}). */
export interface FaultOptions {
  /** Latency added to every call, in real milliseconds (not scaled by timeScale). */
  latencyMs?: number;
  /** Latency added per RPC, on top of `latencyMs`. */
  rpcLatencyMs?: Readonly<Record<string, number>>;
  /** Probabilistic errors per RPC. */
  errorRates?: Readonly<Record<string, ErrorRate>>;
  /** Calls to fail from the start, as with {@link FaultInjector.failNext}. */
  failNext?: readonly { rpc: string; count: number; code?: GrpcStatus; message?: string }[];
  /** Answers to lose from the start, as with {@link FaultInjector.loseAnswerNext}. */
  loseAnswerNext?: readonly { rpc: string; count: number }[];
  /** Probability per RPC that a committed call's answer is lost. */
  lostAnswerRates?: Readonly<Record<string, number>>;
  /** Malformed answers from the start, as with {@link FaultInjector.malformNext}. */
  malformNext?: readonly { rpc: string; kind: MalformedKind; count: number; code?: GrpcStatus }[];
  /** Source of randomness for error rates; default Math.random. */
  random?: () => number;
}

interface Countdown { remaining: number; code: GrpcStatus; message: string }

/** A malformed answer a call is to get. */
export interface MalformedAnswer {
  kind: MalformedKind;
  /** Status code of a "huge-error" answer. */
  code: GrpcStatus;
}

const checkRate = (rate: number): void => {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`rate must be within [0, 1], got ${rate}`);
};

/** Run-time fault controls of a running emulator. */
export class FaultInjector {
  private latencyMs: number;
  private readonly rpcLatencyMs = new Map<string, number>();
  private readonly errorRates = new Map<string, ErrorRate>();
  private readonly failures = new Map<string, Countdown>();
  private readonly lostAnswers = new Map<string, number>();
  private readonly lostAnswerRates = new Map<string, number>();
  private readonly malformed = new Map<string, MalformedAnswer & { remaining: number }>();
  private readonly random: () => number;
  /** Faults injected so far (errors and lost answers), for the figures of a fault run; `clear()` keeps them. */
  readonly injected = { errors: 0, lostAnswers: 0 };

  constructor(private readonly knownRpcs: ReadonlySet<string>, options: FaultOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.random = options.random ?? Math.random;
    for (const [rpc, ms] of Object.entries(options.rpcLatencyMs ?? {})) this.setRpcLatency(rpc, ms);
    for (const [rpc, rate] of Object.entries(options.errorRates ?? {})) this.setErrorRate(rpc, rate);
    for (const f of options.failNext ?? []) this.failNext(f.rpc, f.count, f.code, f.message);
    for (const l of options.loseAnswerNext ?? []) this.loseAnswerNext(l.rpc, l.count);
    for (const [rpc, rate] of Object.entries(options.lostAnswerRates ?? {})) this.setLostAnswerRate(rpc, rate);
    for (const m of options.malformNext ?? []) this.malformNext(m.rpc, m.kind, m.count, m.code);
  }

  private check(rpc: string): void {
    if (rpc !== "*" && !this.knownRpcs.has(rpc)) throw new Error(`unknown RPC "${rpc}" (use the proto name, e.g. "CreatePipeline")`);
  }

  /** Sets the latency added to every call. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Sets the latency added to one RPC (0 removes it). */
  setRpcLatency(rpc: string, ms: number): void {
    this.check(rpc);
    this.rpcLatencyMs.set(rpc, ms);
  }

  /** Fails the next `count` calls of `rpc` with `code`, before they touch any state. */
  failNext(rpc: string, count: number, code: GrpcStatus = GrpcStatus.UNAVAILABLE, message = "injected fault"): void {
    this.check(rpc);
    this.failures.set(rpc, { remaining: count, code, message });
  }

  /** Fails calls of `rpc` at random with probability `rate.rate` (0 removes it). */
  setErrorRate(rpc: string, rate: ErrorRate): void {
    this.check(rpc);
    checkRate(rate.rate);
    this.errorRates.set(rpc, rate);
  }

  /** Commits the next `count` calls of `rpc`, then answers UNAVAILABLE instead of the result. */
  loseAnswerNext(rpc: string, count: number): void {
    this.check(rpc);
    this.lostAnswers.set(rpc, count);
  }

  /** Loses the answer of committed calls of `rpc` at random with probability `rate` (0 removes it). */
  setLostAnswerRate(rpc: string, rate: number): void {
    this.check(rpc);
    checkRate(rate);
    this.lostAnswerRates.set(rpc, rate);
  }

  /**
   * Answers the next `count` calls of `rpc` wrongly (see malformed.ts): "empty-body" and
   * "unknown-enum" after the handler ran (its changes are committed), "ignore-filter" runs a
   * List RPC without its filter, "huge-error" fails with `code` and a 40 KiB message before
   * touching any state.
   */
  malformNext(rpc: string, kind: MalformedKind, count: number, code: GrpcStatus = GrpcStatus.INVALID_ARGUMENT): void {
    this.check(rpc);
    if (kind === "ignore-filter" && !(rpc === "*" || rpc.startsWith("List"))) throw new Error(`"ignore-filter" needs a List RPC, got "${rpc}"`);
    this.malformed.set(rpc, { kind, code, remaining: count });
  }

  /** Removes every fault. */
  clear(): void {
    this.latencyMs = 0;
    this.rpcLatencyMs.clear();
    this.errorRates.clear();
    this.failures.clear();
    this.lostAnswers.clear();
    this.lostAnswerRates.clear();
    this.malformed.clear();
  }

  /** Milliseconds to delay a call of `rpc`. */
  latencyFor(rpc: string): number {
    return this.latencyMs + (this.rpcLatencyMs.get("*") ?? 0) + (this.rpcLatencyMs.get(rpc) ?? 0);
  }

  /** The injected error a call of `rpc` fails with, if any (consumes one "fail next"). */
  takeFailure(rpc: string): EmulatorError | undefined {
    for (const key of [rpc, "*"]) {
      const countdown = this.failures.get(key);
      if (countdown !== undefined && countdown.remaining > 0) {
        countdown.remaining -= 1;
        this.injected.errors++;
        return new EmulatorError({ code: countdown.code, message: `${countdown.message} (${rpc})`, reason: "INJECTED_FAULT" });
      }
    }
    for (const key of [rpc, "*"]) {
      const rate = this.errorRates.get(key);
      if (rate !== undefined && rate.rate > 0 && this.random() < rate.rate) {
        this.injected.errors++;
        return new EmulatorError({ code: rate.code, message: `injected fault: random error (${rpc})`, reason: "INJECTED_FAULT" });
      }
    }
    return undefined;
  }

  /** Whether the answer of this committed call of `rpc` is to be lost (consumes one). */
  takeLostAnswer(rpc: string): boolean {
    for (const key of [rpc, "*"]) {
      const remaining = this.lostAnswers.get(key) ?? 0;
      if (remaining > 0) {
        this.lostAnswers.set(key, remaining - 1);
        this.injected.lostAnswers++;
        return true;
      }
    }
    for (const key of [rpc, "*"]) {
      const rate = this.lostAnswerRates.get(key) ?? 0;
      if (rate > 0 && this.random() < rate) {
        this.injected.lostAnswers++;
        return true;
      }
    }
    return false;
  }

  /** The malformed answer this call of `rpc` is to get, if any (consumes one). */
  takeMalformed(rpc: string): MalformedAnswer | undefined {
    for (const key of [rpc, "*"]) {
      const entry = this.malformed.get(key);
      // "*" with ignore-filter only bends List RPCs; other calls pass untouched.
      if (entry === undefined || entry.remaining <= 0 || (entry.kind === "ignore-filter" && !rpc.startsWith("List"))) continue;
      entry.remaining -= 1;
      return { kind: entry.kind, code: entry.code };
    }
    return undefined;
  }
}
