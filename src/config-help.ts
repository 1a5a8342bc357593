// `k3-operator --help`: every flag with its environment twin, default and meaning. The README's
// configuration table is the same list; config-help.test.ts keeps the two equal.
import { flags } from "./config.js";

/** What --help and the README say about one flag (backticks mark literal values). */
export interface FlagHelp {
  /** The default, as a user reads it. */
  default: string;
  /** What the flag does. */
  meaning: string;
}

/** Help of every flag; typed by the flag table, so a new flag without help does not compile. */
export const FLAG_HELP: Readonly<Record<keyof typeof flags, FlagHelp>> = {
  kubeconfig: { default: "in-cluster, then `~/.kube/config`", meaning: "kubeconfig to use" },
  "k3-endpoint": { default: "`k3-grpc.dodil.io:443`", meaning: "K3 gRPC endpoint for namespaces without a connection Secret" },
  "k3-insecure": { default: "off", meaning: "plaintext gRPC (the emulator); TLS otherwise" },
  "k3-token-file": { default: "none", meaning: "operator-wide bearer token; read again at most every 10 s, so rotation needs no restart" },
  "k3-ca-file": { default: "system roots", meaning: "PEM roots for TLS to the K3 endpoint (and to connection Secrets' endpoints without their own `ca.crt`)" },
  "allow-insecure-connections": { default: "off", meaning: "let connection Secrets ask for plaintext gRPC (`insecure: \"true\"`); otherwise every endpoint a Secret names uses TLS" },
  namespaces: { default: "all", meaning: "comma-separated namespaces to watch" },
  workers: { default: "`4`", meaning: "reconcile workers per controller" },
  "resync-period": { default: "`10m`", meaning: "jittered full resync that catches remote drift (`500ms`, `30s`, `10m`, `1h`)" },
  "leader-elect": { default: "off", meaning: "run only while holding the Lease `k3-operator`" },
  "leader-election-namespace": { default: "`default`", meaning: "namespace of that Lease" },
  "lease-duration": { default: "`15s`", meaning: "standby replicas take the Lease this long after the leader's last renewal they saw" },
  "renew-deadline": { default: "`10s`", meaning: "the leader stops its controllers (and exits) when it could not renew for this long, counted from the start of its last successful renewal, even while a renewal hangs; shorter than the lease" },
  "retry-period": { default: "`2s`", meaning: "interval between acquire/renew attempts (the renew deadline must exceed 1.2 × this)" },
  "log-level": { default: "`info`", meaning: "pino level" },
  "metrics-port": { default: "`8080`", meaning: "port of `/metrics`, `/healthz`, `/readyz` (`0` = off)" },
  "k3-qps": { default: "`20`", meaning: "calls per second to the K3 service (`0` = unlimited)" },
  shard: { default: "none (the default shard)", meaning: "reconcile only objects labelled `k3.dodil.io/shard=NAME`, holding the Lease `k3-operator-NAME`; without it, only objects without that label" },
};

const plain = (text: string): string => text.replaceAll("`", "");

/** The text `k3-operator --help` prints. */
export function usage(): string {
  const rows = (Object.keys(flags) as (keyof typeof flags)[]).map((name) => {
    const value = flags[name].type === "boolean" ? "" : " VALUE";
    return { left: `--${name}${value}`, env: flags[name].env, help: FLAG_HELP[name] };
  });
  const width = Math.max(...rows.map((r) => r.left.length));
  const envWidth = Math.max(...rows.map((r) => r.env.length));
  const lines = rows.map((r) => `  ${r.left.padEnd(width)}  ${r.env.padEnd(envWidth)}  ${plain(r.help.meaning)} (default: ${plain(r.help.default)})`);
  return [
    "Usage: k3-operator [flags]     (npm start -- [flags])",
    "",
    "Reconciles K3Source, K3Pipeline, K3IngestRule and K3IngestJob objects against the K3 service.",
    "Every flag has an environment twin (second column); a flag wins over its twin.",
    "Booleans take no value as flags; as env, 1/true/yes/on mean on.",
    "",
    ...lines,
    `  ${"--help".padEnd(width)}  ${"".padEnd(envWidth)}  this text`,
    "",
    "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 lost the leader Lease or crashed, 2 bad configuration.",
    "",
  ].join("\n");
}
