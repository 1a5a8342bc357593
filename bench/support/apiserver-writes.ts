// Writes the apiserver itself counted (apiserver_request_total), read through kubectl so the
// figures come from the server, not from what a client believes it sent.
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { parsePrometheusText, type Sample } from "./prometheus-text.js";

const writeVerbs: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);

/** Write counts by `resource[/subresource] VERB code`, e.g. `k3pipelines/status PATCH 200`. */
export type WriteCounts = Record<string, number>;

/** The apiserver's own /metrics, read through kubectl. */
async function apiserverMetrics(kubeconfigPath: string): Promise<Sample[]> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfigPath, "get", "--raw", "/metrics"], { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`cannot read the apiserver's metrics: ${result.stderr.trim()}`);
  return parsePrometheusText(result.stdout);
}

/** Reads the apiserver's write counters for `resources` (plural names, e.g. k3pipelines, events). */
export async function readApiserverWrites(options: { kubeconfigPath: string; resources: readonly string[] }): Promise<WriteCounts> {
  const counts: WriteCounts = {};
  for (const s of await apiserverMetrics(options.kubeconfigPath)) {
    if (s.name !== "apiserver_request_total") continue;
    const { resource = "", subresource = "", verb = "", code = "" } = s.labels;
    if (!options.resources.includes(resource) || !writeVerbs.has(verb)) continue;
    const key = `${subresource ? `${resource}/${subresource}` : resource} ${verb} ${code}`;
    counts[key] = (counts[key] ?? 0) + s.value;
  }
  return counts;
}

/** CPU seconds the apiserver has used so far (its own process_cpu_seconds_total). */
export async function readApiserverCpuSeconds(kubeconfigPath: string): Promise<number> {
  return (await apiserverMetrics(kubeconfigPath)).find((s) => s.name === "process_cpu_seconds_total")?.value ?? Number.NaN;
}

/** The writes of `counts` the operator made, split the way the benchmark reports them. */
export interface WriteSplit {
  total: number;
  /** writes to the status subresource */
  statusPatches: number;
  /** writes to the object itself other than creates and deletes: the operator only patches finalizers there */
  finalizerPatches: number;
  eventCreates: number;
  eventPatches: number;
  /** writes answered 409 (counted in the figures above too) */
  conflicts: number;
  /** anything else, e.g. deletes */
  other: number;
}

/** Splits write counts, after taking away `ownCreates` POSTs of K3Pipelines the benchmark itself made. */
export function splitWrites(counts: WriteCounts, ownCreates: number): WriteSplit {
  const split: WriteSplit = { total: 0, statusPatches: 0, finalizerPatches: 0, eventCreates: 0, eventPatches: 0, conflicts: 0, other: -ownCreates };
  for (const [key, n] of Object.entries(counts)) {
    const [target = "", verb = "", code = ""] = key.split(" ");
    if (code === "409") split.conflicts += n;
    if (target === "k3pipelines/status") split.statusPatches += n;
    else if (target === "k3pipelines" && (verb === "PATCH" || verb === "PUT" || verb === "APPLY")) split.finalizerPatches += n;
    else if (target === "events" && verb === "POST") split.eventCreates += n;
    else if (target === "events" && (verb === "PATCH" || verb === "PUT")) split.eventPatches += n;
    else split.other += n;
  }
  split.total = split.statusPatches + split.finalizerPatches + split.eventCreates + split.eventPatches + split.other;
  return split;
}
