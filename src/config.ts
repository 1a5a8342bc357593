import { parseArgs } from "node:util";
import { checkLeaseTimings } from "./runtime/leader-election.js";

/** Operator-wide configuration, from flags with environment-variable twins (flags win). */
export interface OperatorConfig {
  /** Path of a kubeconfig; empty = $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  kubeconfig: string;
  /** K3 gRPC endpoint "host:port" used when a namespace names no connection Secret. */
  k3Endpoint: string;
  /** Plaintext gRPC (the local emulator); TLS otherwise. */
  k3Insecure: boolean;
  /** File holding the operator-wide bearer token; read again at most every 10 s, so rotation needs no restart. */
  k3TokenFile: string;
  /** PEM file of root certificates for TLS to the K3 service; empty = the system roots. */
  k3CaFile: string;
  /** Connection Secrets may name plaintext endpoints (key `insecure: "true"`); TLS is required otherwise. */
  allowInsecureConnections: boolean;
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  /** Reconcile workers per controller. */
  workers: number;
  /** Period of the jittered full resync that catches remote drift. */
  resyncPeriodMs: number;
  /** Run only while holding the Lease. */
  leaderElection: boolean;
  /** Namespace of the leader-election Lease. */
  leaderElectionNamespace: string;
  /** How long standby replicas wait after the leader's last renewal before taking the Lease. */
  leaseDurationMs: number;
  /** The leader stops its controllers when it could not renew for this long (shorter than the lease). */
  renewDeadlineMs: number;
  /** Interval between acquire or renew attempts. */
  retryPeriodMs: number;
  /** pino level. */
  logLevel: string;
  /** Port of /metrics, /healthz and /readyz (0 = off). */
  metricsPort: number;
  /** Upper bound of calls per second to the K3 service (token bucket). */
  k3Qps: number;
  /** The shard this operator serves (objects labelled `k3.dodil.io/shard=<shard>`); empty = the default shard (objects without the label). */
  shard: string;
}

/** The production gRPC endpoint from the K3 API reference. */
export const DEFAULT_K3_ENDPOINT = "k3-grpc.dodil.io:443";

/** The operator's flags, each with its environment-variable twin (help text: config-help.ts). */
export const flags = {
  kubeconfig: { type: "string", env: "KUBECONFIG" },
  "k3-endpoint": { type: "string", env: "K3_ENDPOINT" },
  "k3-insecure": { type: "boolean", env: "K3_INSECURE" },
  "k3-token-file": { type: "string", env: "K3_TOKEN_FILE" },
  "k3-ca-file": { type: "string", env: "K3_CA_FILE" },
  "allow-insecure-connections": { type: "boolean", env: "ALLOW_INSECURE_CONNECTIONS" },
  namespaces: { type: "string", env: "WATCH_NAMESPACES" },
  workers: { type: "string", env: "WORKERS" },
  "resync-period": { type: "string", env: "RESYNC_PERIOD" },
  "leader-elect": { type: "boolean", env: "LEADER_ELECT" },
  "leader-election-namespace": { type: "string", env: "POD_NAMESPACE" },
  "lease-duration": { type: "string", env: "LEASE_DURATION" },
  "renew-deadline": { type: "string", env: "RENEW_DEADLINE" },
  "retry-period": { type: "string", env: "RETRY_PERIOD" },
  "log-level": { type: "string", env: "LOG_LEVEL" },
  "metrics-port": { type: "string", env: "METRICS_PORT" },
  "k3-qps": { type: "string", env: "K3_QPS" },
  shard: { type: "string", env: "SHARD" },
} as const;

/** Parses a duration like "90s", "10m", "1h" or "500ms" into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 30s, 10m, 1h)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

/** A configuration mistake a user fixes with a flag or its env twin; main prints its message alone. */
export class ConfigError extends Error {}

/** "--workers (WORKERS)": how a message names a flag and its environment twin. */
export function flagAndEnv(name: keyof typeof flags): string {
  return `--${name} (${flags[name].env})`;
}

function positiveInt(name: keyof typeof flags, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 0) throw new ConfigError(`${flagAndEnv(name)} must be a non-negative integer, got "${text}"`);
  return value;
}

function duration(name: keyof typeof flags, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new ConfigError(`${flagAndEnv(name)}: ${(error as Error).message}`);
  }
}

/** pino's level names, the values --log-level takes. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function logLevel(text: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) throw new ConfigError(`${flagAndEnv("log-level")} must be one of ${LOG_LEVELS.join(", ")}, got "${text}"`);
  return text;
}

function port(name: keyof typeof flags, text: string): number {
  const value = positiveInt(name, text);
  if (value > 65_535) throw new ConfigError(`${flagAndEnv(name)} must be a port number (0-65535), got "${text}"`);
  return value;
}

/** parseArgs with its errors turned into one line that points at --help. */
function parseFlags(argv: string[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, { type: v.type }]));
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw error;
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    const problem = unknown !== undefined ? `unknown flag ${unknown}` : (error as Error).message.split(". ")[0];
    throw new ConfigError(`${problem}; k3-operator --help lists the flags`);
  }
}

/** A label value (the shard name goes into a label selector and a Lease name). */
const LABEL_VALUE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function shard(text: string): string {
  if (text !== "" && !LABEL_VALUE.test(text)) throw new ConfigError(`${flagAndEnv("shard")} must be lower-case letters, digits and '-' (at most 63, starting and ending with a letter or digit), got "${text}"`);
  return text;
}

function truthy(text: string | undefined): boolean {
  return text !== undefined && ["1", "true", "yes", "on"].includes(text.toLowerCase());
}

/** Reads the configuration from argv and env; throws a {@link ConfigError} naming the flag on bad values. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const values = parseFlags(argv);
  const pick = (name: keyof typeof flags): string | undefined => {
    const fromFlag = values[name];
    if (fromFlag !== undefined) return String(fromFlag);
    return env[flags[name].env];
  };
  const lease = {
    leaseDurationMs: parseDuration(pick("lease-duration") ?? "15s"),
    renewDeadlineMs: parseDuration(pick("renew-deadline") ?? "10s"),
    retryPeriodMs: parseDuration(pick("retry-period") ?? "2s"),
  };
  try {
    checkLeaseTimings(lease);
  } catch (err) {
    throw new Error(`--lease-duration, --renew-deadline, --retry-period: ${(err as Error).message}`);
  }
  const namespaces = (pick("namespaces") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return {
    kubeconfig: pick("kubeconfig") ?? "",
    k3Endpoint: pick("k3-endpoint") ?? DEFAULT_K3_ENDPOINT,
    k3Insecure: truthy(pick("k3-insecure")),
    k3TokenFile: pick("k3-token-file") ?? "",
    k3CaFile: pick("k3-ca-file") ?? "",
    allowInsecureConnections: truthy(pick("allow-insecure-connections")),
    namespaces,
    workers: positiveInt("workers", pick("workers") ?? "4"),
    resyncPeriodMs: duration("resync-period", pick("resync-period") ?? "10m"),
    leaderElection: truthy(pick("leader-elect")),
    leaderElectionNamespace: pick("leader-election-namespace") ?? "default",
    ...lease,
    logLevel: logLevel(pick("log-level") ?? "info"),
    metricsPort: port("metrics-port", pick("metrics-port") ?? "8080"),
    k3Qps: positiveInt("k3-qps", pick("k3-qps") ?? "20"),
    shard: shard(pick("shard") ?? ""),
  };
}
