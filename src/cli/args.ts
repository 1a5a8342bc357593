// The command line of `kubectl k3`: kubectl's own global flags (which kubectl hands to a plugin
// unparsed) plus the few flags of the subcommands, read with node:util's parseArgs.
import { parseArgs } from "node:util";

/** The output formats of -o. */
export type OutputFormat = "json" | "yaml";

/** The flags of one invocation, parsed and checked. */
export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
  output?: OutputFormat;
  /** discover / ingest / run: follow the run until it ends */
  wait: boolean;
  /** tree: draw again on every change until interrupted */
  watch: boolean;
  /** ingest: a full rather than incremental run */
  full: boolean;
  /** run: the object keys to ingest (empty = all the rule matches) */
  keys: string[];
  /** how long --wait and oauth wait, in milliseconds */
  timeoutMs: number;
  help: boolean;
  /** templates: how to reach the K3 service (the operator's flag names and env twins) */
  k3: { endpoint?: string; tokenFile?: string; insecure: boolean; caFile?: string; connection?: string };
}

/** A parsed command line: the subcommand, its positional arguments and the flags. */
export interface ParsedArgs {
  command?: string;
  positionals: string[];
  flags: GlobalFlags;
}

/** A mistake in the command line; the plugin prints its message and the usage, exit code 2. */
export class UsageError extends Error {}

/** Parses a duration such as `90s`, `5m` or `1h` (kubectl's --timeout form) into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new UsageError(`invalid --timeout ${JSON.stringify(text)}: use a number with ms, s, m or h, e.g. 5m`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * factor;
}

/** Parses argv (without node and the script) of `kubectl k3`; `env` supplies the K3_* twins of the --k3-* flags. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string", short: "n" },
        "all-namespaces": { type: "boolean", short: "A", default: false },
        output: { type: "string", short: "o" },
        wait: { type: "boolean", default: false },
        watch: { type: "boolean", short: "w", default: false },
        full: { type: "boolean", default: false },
        keys: { type: "string" },
        timeout: { type: "string", default: "10m" },
        help: { type: "boolean", short: "h", default: false },
        "k3-endpoint": { type: "string" },
        "k3-token-file": { type: "string" },
        "k3-insecure": { type: "boolean" },
        "k3-ca-file": { type: "string" },
        connection: { type: "string" },
      },
    });
  } catch (cause) {
    throw new UsageError((cause as Error).message, { cause });
  }
  const { values, positionals } = parsed;
  const output = values.output;
  if (output !== undefined && output !== "json" && output !== "yaml") throw new UsageError(`unsupported -o ${output}: use json or yaml`);
  const [command, ...rest] = positionals;
  return {
    command,
    positionals: rest,
    flags: {
      kubeconfig: values.kubeconfig,
      context: values.context,
      namespace: values.namespace,
      allNamespaces: values["all-namespaces"],
      output,
      wait: values.wait,
      watch: values.watch,
      full: values.full,
      keys: (values.keys ?? "").split(",").map((k) => k.trim()).filter(Boolean),
      timeoutMs: parseDuration(values.timeout),
      help: values.help,
      k3: {
        endpoint: values["k3-endpoint"] ?? (env["K3_ENDPOINT"] || undefined),
        tokenFile: values["k3-token-file"] ?? (env["K3_TOKEN_FILE"] || undefined),
        insecure: values["k3-insecure"] ?? ["true", "1"].includes(env["K3_INSECURE"] ?? ""),
        caFile: values["k3-ca-file"] ?? (env["K3_CA_FILE"] || undefined),
        connection: values.connection,
      },
    },
  };
}

/** The help text of the plugin. */
export const usage = `kubectl k3 — K3 Pipelines objects from the command line

Usage:
  kubectl k3 tree [KIND/NAME] [-w]        sources → rules → pipelines → jobs, failing branches first;
                                          -w, --watch: drawn again on every change until Ctrl-C
  kubectl k3 discover SOURCE [--wait]     ask for a discovery run of a K3Source
  kubectl k3 ingest SOURCE [--full] [--wait]
                                          ask for an ingestion run of a K3Source
  kubectl k3 run RULE [--keys k1,k2] [--wait]
                                          start a K3IngestJob of a K3IngestRule
  kubectl k3 jobs [RULE]                  recent K3IngestJobs with their failed objects
  kubectl k3 oauth SOURCE                 print the consent URL, read the code, store it, wait
  kubectl k3 templates [NAME]             the template catalog and each version's parameters;
                                          needs --k3-endpoint E --k3-token-file F [--k3-insecure]
                                          [--k3-ca-file F] (or K3_ENDPOINT, ...), or --connection SECRET

Flags:
  --kubeconfig PATH   --context NAME   -n, --namespace NS   -A, --all-namespaces
  -o, --output json|yaml   --timeout 10m (of --wait and oauth)   -h, --help
Exit codes: 0 done, 1 a failed run, a timeout or an API error, 2 a usage error.
NO_COLOR or output that is not a terminal: no colours, plain lines instead of progress bars.`;
