// `helm template` and `helm lint` as the chart's scripts and tests run them: the pinned helm
// build (or the one on PATH), failing with helm's own message.
import { helmPath } from "./binaries.js";
import { runCommand } from "./exec.js";

/** Options of {@link helmTemplate}. */
export interface HelmTemplateOptions {
  /** Folder of the chart. */
  chartDir: string;
  /** Release name; names every namespaced and cluster-wide object of the chart. */
  release: string;
  /** `--namespace` of the release. */
  namespace: string;
  /** Also render the chart's crds/ folder (`--include-crds`). */
  includeCrds?: boolean;
  /** `--set key=value` overrides, in order. */
  set?: Record<string, string>;
  /** `--set-string key=value` overrides (the value stays a string, e.g. "false"). */
  setString?: Record<string, string>;
}

/** Renders the chart's manifests as one multi-document YAML string; rejects with helm's stderr on failure. */
export async function helmTemplate(options: HelmTemplateOptions): Promise<string> {
  const args = ["template", options.release, options.chartDir, "--namespace", options.namespace];
  if (options.includeCrds) args.push("--include-crds");
  for (const [key, value] of Object.entries(options.set ?? {})) args.push("--set", `${key}=${value}`);
  for (const [key, value] of Object.entries(options.setString ?? {})) args.push("--set-string", `${key}=${value}`);
  return runHelm(args);
}

/** Runs `helm lint --strict` on the chart and resolves with its report; rejects when lint fails. */
export function helmLint(chartDir: string): Promise<string> {
  return runHelm(["lint", "--strict", chartDir]);
}

async function runHelm(args: string[]): Promise<string> {
  const result = await runCommand(helmPath(), args, { timeoutMs: 60_000 });
  if (result.exitCode !== 0) {
    throw new Error(`helm ${args.join(" ")} failed (${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
  }
  return result.stdout;
}
