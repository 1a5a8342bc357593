// The k3-emulator command line: `serve` runs the emulator until SIGINT/SIGTERM, `token`
// prints a bearer JWT for a tenant. Logs go to stderr; stdout carries only what the command
// produces (the listening address, the token), so scripts can read it.
import { parseArgs } from "node:util";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { pino } from "pino";
import { mintToken } from "./auth.js";
import type { FaultOptions } from "./faults.js";
import { startEmulator } from "./index.js";

/** Usage text of the command. */
export const USAGE = `Usage:
  k3-emulator serve --secret S [--port 50051] [--host 127.0.0.1] [--time-scale 1] [--log-level info]
                    [--error-rate 0] [--error-code UNAVAILABLE] [--lost-answer-rate 0] [--latency 0ms]
      Runs the in-memory K3 service (plaintext gRPC, reflection, health) until interrupted.
      Prints "k3-emulator listening on HOST:PORT" on stdout once ready. --port 0 picks a free port.
      The secret may also come from K3_EMULATOR_SECRET.
      Faults, on every RPC, to rehearse an outage by hand:
        --error-rate R        fail this share (0..1) of calls before they touch any state
        --error-code CODE     status of those failures (a gRPC code name, e.g. UNAVAILABLE, or number)
        --lost-answer-rate R  commit this share (0..1) of calls, then answer UNAVAILABLE
        --latency D           delay every call by D (50ms, 1s, 50 = milliseconds)
  k3-emulator token --secret S --tenant T [--ttl 1h]
      Prints an HS256 JWT for tenant T; --ttl accepts 90, 90s, 15m, 1h, 7d.
  k3-emulator --help
`;

/** Where the command writes; injectable for tests. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the process is asked to stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<void>;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

/** A start that failed for a reason the user fixes with a flag; printed as one line, no usage. */
class StartError extends Error {}

/** Parses "90", "90s", "15m", "1h" or "7d" into seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) throw new UsageError(`invalid --ttl "${text}": use e.g. 90s, 15m, 1h or 7d`);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

function parseNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`invalid --${flag} "${text}": not a number`);
  return value;
}

function parseRate(flag: string, text: string | undefined): number {
  const rate = parseNumber(flag, text, 0);
  if (rate < 0 || rate > 1) throw new UsageError(`invalid --${flag} "${text}": a share between 0 and 1, e.g. 0.1`);
  return rate;
}

/** Parses "50ms", "1.5s" or "50" (milliseconds) into milliseconds. */
export function parseLatency(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (match === null) throw new UsageError(`invalid --latency "${text}": use e.g. 50ms, 1s or 50 (milliseconds)`);
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}

/** Parses a gRPC status code name ("UNAVAILABLE", "unavailable") or number ("14"). */
export function parseStatusCode(text: string): GrpcStatus {
  const byNumber = /^\d+$/.test(text) ? Number(text) : undefined;
  const code = byNumber ?? (GrpcStatus as unknown as Record<string, number | undefined>)[text.trim().toUpperCase()];
  if (code === undefined || GrpcStatus[code] === undefined || code === 0) {
    throw new UsageError(`invalid --error-code "${text}": use a gRPC status name other than OK, e.g. UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED`);
  }
  return code;
}

/** The faults the serve flags ask for, on every RPC ("*"). */
export function faultsFromFlags(values: { "error-rate"?: string; "error-code"?: string; "lost-answer-rate"?: string; latency?: string }): FaultOptions {
  const errorRate = parseRate("error-rate", values["error-rate"]);
  const code = parseStatusCode(values["error-code"] ?? "UNAVAILABLE");
  const lostAnswerRate = parseRate("lost-answer-rate", values["lost-answer-rate"]);
  return {
    latencyMs: values.latency === undefined ? 0 : parseLatency(values.latency),
    errorRates: errorRate > 0 ? { "*": { rate: errorRate, code } } : {},
    lostAnswerRates: lostAnswerRate > 0 ? { "*": lostAnswerRate } : {},
  };
}

const waitForSignal = (): Promise<void> => new Promise((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      secret: { type: "string" }, port: { type: "string" }, host: { type: "string" }, "time-scale": { type: "string" }, "log-level": { type: "string" },
      "error-rate": { type: "string" }, "error-code": { type: "string" }, "lost-answer-rate": { type: "string" }, latency: { type: "string" },
    },
  });
  const secret = values.secret ?? process.env.K3_EMULATOR_SECRET;
  if (secret === undefined || secret === "") throw new UsageError("serve needs --secret (or K3_EMULATOR_SECRET)");
  const faults = faultsFromFlags(values);
  const logger = pino({ level: values["log-level"] ?? "info" }, pino.destination(2));
  const port = parseNumber("port", values.port, 50051);
  const handle = await startEmulator({
    secret, logger, faults, host: values.host ?? "127.0.0.1", port,
    timeScale: parseNumber("time-scale", values["time-scale"], 1),
  }).catch((error: unknown) => {
    // grpc-js says "No address added out of total 1 resolved" with the real cause further down.
    throw new StartError(`${(error as Error).message}: the port is in use or not allowed; pick another with --port (0 = any free port)`);
  });
  io.out(`k3-emulator listening on ${handle.address}`);
  const injecting = (faults.latencyMs ?? 0) > 0 || Object.keys({ ...faults.errorRates, ...faults.lostAnswerRates }).length > 0;
  if (injecting) logger.warn({ faults: { ...faults, errorCode: GrpcStatus[parseStatusCode(values["error-code"] ?? "UNAVAILABLE")] } }, "fault injection on every RPC");
  await (io.stopSignal ?? waitForSignal());
  await handle.stop();
  return 0;
}

function token(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, strict: true, options: { secret: { type: "string" }, tenant: { type: "string" }, ttl: { type: "string" } } });
  const secret = values.secret ?? process.env.K3_EMULATOR_SECRET;
  if (secret === undefined || secret === "") throw new UsageError("token needs --secret (or K3_EMULATOR_SECRET)");
  if (values.tenant === undefined || values.tenant === "") throw new UsageError("token needs --tenant");
  io.out(mintToken({ secret, tenant: values.tenant, ttlSeconds: parseTtl(values.ttl ?? "1h") }));
  return 0;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "serve") return await serve(rest, io);
    if (command === "token") return token(rest, io);
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof StartError) {
      io.err(`k3-emulator: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      io.err(`k3-emulator: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}
