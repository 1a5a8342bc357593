// Public entry point of the K3 emulator: an in-memory implementation of the 31 K3 RPCs for
// tests and local runs. See src/emulator/README.md for its documented behaviour.
import { randomBytes } from "node:crypto";
import { ServerCredentials } from "@grpc/grpc-js";
import { pino, type Logger } from "pino";
import { mintToken } from "./auth.js";
import { createClock } from "./clock.js";
import { CallCounters } from "./counters.js";
import { FaultInjector, type FaultOptions } from "./faults.js";
import { createServer, K3_RPC_NAMES } from "./server.js";
import { Store } from "./store.js";

export { mintToken, verifyToken } from "./auth.js";
export { CallCounters, isMutatingRpc } from "./counters.js";
export { ERROR_DOMAIN } from "./errors.js";
export { FaultInjector, type ErrorRate, type FaultOptions, type MalformedAnswer } from "./faults.js";
export { HUGE_ERROR_BYTES, MALFORMED_KINDS, type MalformedKind, UNKNOWN_ENUM_VALUE } from "./malformed.js";
export { consentCode, OAUTH_HOST } from "./services/oauth.js";
export { CORRUPT_OBJECT_ERROR, deriveObjects, MISSING_GITHUB_REPO, type SourceObject } from "./objects.js";
export { K3_RPC_NAMES } from "./server.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (a free port, see `handle.port`). */
  port?: number;
  /** HS256 secret tokens are checked against; default a random one (see `handle.secret`). */
  secret?: string;
  /** Multiplier of simulated durations (1 = realistic; tests use e.g. 0.001). Default 1. */
  timeScale?: number;
  /** Source of the current time in milliseconds; default Date.now. */
  now?: () => number;
  /** Faults active from the start. */
  faults?: FaultOptions;
  /** Logger; default silent. */
  logger?: Logger;
}

/** A running emulator. */
export interface EmulatorHandle {
  /** "host:port" to dial. */
  address: string;
  /** The bound port. */
  port: number;
  /** The HS256 secret tokens must be signed with. */
  secret: string;
  /** Mints a token for a tenant, valid for `ttlSeconds` (default 3600) of emulator time. */
  mintToken(options: { tenant: string; ttlSeconds?: number }): string;
  /** Run-time fault controls. */
  faults: FaultInjector;
  /** Per-RPC call counters, e.g. `calls.get("CreatePipeline")`. */
  calls: CallCounters;
  /** Forgets every call count. */
  resetCounters(): void;
  /** The emulator's current time in milliseconds. */
  now(): number;
  /** Stops the server (in-flight calls get up to a second to finish). */
  stop(): Promise<void>;
}

/** Starts an emulator listening on `host:port`. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = options.host ?? "127.0.0.1";
  const secret = options.secret ?? randomBytes(24).toString("base64url");
  const clock = createClock({ timeScale: options.timeScale, now: options.now });
  const logger = options.logger ?? pino({ level: "silent" });
  const calls = new CallCounters();
  const faults = new FaultInjector(K3_RPC_NAMES, options.faults);
  const server = createServer({ secret, clock, store: new Store(), counters: calls, faults, logger });
  const authority = host.includes(":") ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${authority}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) resolve(bound);
      else reject(new Error(`cannot listen on ${authority}:${options.port ?? 0}`, { cause: error }));
    });
  });
  const address = `${authority}:${port}`;
  logger.info({ address, timeScale: options.timeScale ?? 1 }, "k3 emulator listening");
  return {
    address,
    port,
    secret,
    mintToken: (o) => mintToken({ secret, tenant: o.tenant, ttlSeconds: o.ttlSeconds, nowMs: clock.now() }),
    faults,
    calls,
    resetCounters: () => calls.reset(),
    now: () => clock.now(),
    stop: () => new Promise<void>((resolve) => {
      const force = setTimeout(() => server.forceShutdown(), 1_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        logger.info({ address }, "k3 emulator stopped");
        resolve();
      });
    }),
  };
}
