// What every subcommand of `kubectl k3` is handed: the apiserver client of the chosen kubeconfig
// and context, the namespace(s) to act in, and the output settings of this terminal.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { parse } from "yaml";
import { K3Resources } from "../api/resources.js";
import { createKubeClient, type KubeClient } from "../runtime/index.js";
import type { GlobalFlags } from "./args.js";
import { outputStyle, type OutputStyle } from "./output.js";

/** The four k3.dodil.io kinds as the plugin addresses them. */
export const Resources = K3Resources;

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Streams {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown; isTTY?: boolean };
  /** the pasted answer of `oauth` comes from here */
  in: NodeJS.ReadableStream;
}

/** Everything a subcommand needs besides its own arguments. */
export interface CliContext {
  kube: KubeClient;
  /** the namespace to act in: -n, else the context's namespace, else "default" */
  namespace: string;
  /** -A: list across every namespace (read-only commands) */
  allNamespaces: boolean;
  flags: GlobalFlags;
  style: OutputStyle;
  streams: Streams;
  /** environment the plugin was started with (NO_COLOR, KUBECONFIG) */
  env: NodeJS.ProcessEnv;
}

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context?: { namespace?: string } }[];
}

/**
 * The namespace of a kubeconfig context, as kubectl picks it: the first file of $KUBECONFIG
 * that names the context wins. client-node has no accessor for it, so the files are read here.
 */
export function contextNamespace(flags: Pick<GlobalFlags, "kubeconfig" | "context">, env: NodeJS.ProcessEnv): string | undefined {
  const files = flags.kubeconfig ? [flags.kubeconfig] : env["KUBECONFIG"] ? env["KUBECONFIG"].split(delimiter).filter(Boolean) : [join(homedir(), ".kube", "config")];
  const configs: KubeconfigFile[] = [];
  for (const file of files) {
    try {
      configs.push((parse(readFileSync(file, "utf8")) ?? {}) as KubeconfigFile);
    } catch {
      // a missing file of a $KUBECONFIG list is skipped, as kubectl does
    }
  }
  const name = flags.context ?? configs.find((c) => c["current-context"])?.["current-context"];
  if (!name) return undefined;
  for (const config of configs) {
    const found = config.contexts?.find((c) => c.name === name);
    if (found) return found.context?.namespace || undefined;
  }
  return undefined;
}

/** Builds the context of one invocation from its global flags. */
export function createCliContext(flags: GlobalFlags, streams: Streams, env: NodeJS.ProcessEnv): CliContext {
  const kube = createKubeClient({ kubeconfigPath: flags.kubeconfig, context: flags.context });
  const namespace = flags.namespace ?? contextNamespace(flags, env) ?? "default";
  return { kube, namespace, allNamespaces: flags.allNamespaces, flags, style: outputStyle(streams.err, env), streams, env };
}
