// `kubectl k3 discover|ingest SOURCE [--full] [--wait]`: the requested-*-at annotation with a
// new RFC 3339 value (the one mechanism the operator offers, no side door to the service), then
// optionally status.sync followed until the run this request started has ended.
import type { K3Source, K3SourceStatusSyncDiscovery, K3SourceStatusSyncIngestion } from "../api/gen/index.js";
import { annotations } from "../api/keys.js";
import { Resources, type CliContext } from "./context.js";
import { follow } from "./follow.js";
import { formatStructured, ProgressReporter, progressText } from "./output.js";

/** Which of a source's two runs a command asks for. */
export type RunKind = "discovery" | "ingestion";

type Run = K3SourceStatusSyncDiscovery & K3SourceStatusSyncIngestion;

const terminal = new Set(["Succeeded", "Failed"]);

/** The annotation patch asking for one run; --full sets full-sync, its absence clears it. */
export function requestPatch(kind: RunKind, requestedAt: string, full: boolean): { metadata: { annotations: Record<string, string | null> } } {
  if (kind === "discovery") return { metadata: { annotations: { [annotations.requestedDiscoveryAt]: requestedAt } } };
  return { metadata: { annotations: { [annotations.requestedIngestionAt]: requestedAt, [annotations.fullSync]: full ? "true" : null } } };
}

/** The run of `kind` a source's status shows once the operator handled `requestedAt`, else undefined. */
export function handledRun(source: K3Source, kind: RunKind, requestedAt: string): Run | undefined {
  const sync = source.status?.sync;
  const handled = kind === "discovery" ? sync?.lastHandledDiscoveryAt : sync?.lastHandledIngestionAt;
  if (handled !== requestedAt) return undefined;
  return (kind === "discovery" ? sync?.discovery : sync?.ingestion) ?? {};
}

/** Whether a finished run counts as a success: it did not fail and no object failed. */
export function runSucceeded(run: Run): boolean {
  return run.state === "Succeeded" && (run.objectsFailed ?? 0) === 0;
}

function progressOf(kind: RunKind, run: Run, source: K3Source): Parameters<ProgressReporter["update"]>[0] {
  if (kind === "discovery") return { state: run.state ?? "Requested", done: run.objectsDiscovered ?? 0, failed: 0 };
  const total = source.status?.sync?.discovery?.objectsDiscovered;
  return { state: run.state ?? "Requested", done: (run.objectsIngested ?? 0) + (run.objectsFailed ?? 0), total: total || undefined, failed: run.objectsFailed ?? 0 };
}

/** Runs `discover` or `ingest`; resolves with the exit code. */
export async function requestRun(ctx: CliContext, kind: RunKind, name: string): Promise<number> {
  const ref = { namespace: ctx.namespace, name };
  const requestedAt = new Date().toISOString();
  await ctx.kube.patch<K3Source>(Resources.K3Source, ref, { type: "merge", body: requestPatch(kind, requestedAt, ctx.flags.full) });
  ctx.streams.err.write(`k3source/${name}: ${kind} requested at ${requestedAt}\n`);
  if (!ctx.flags.wait) return 0;
  const reporter = new ProgressReporter(ctx.streams.err, ctx.style, `k3source/${name} ${kind}`);
  let last: { run: Run; source: K3Source };
  try {
    last = await follow({
      read: () => ctx.kube.get<K3Source>(Resources.K3Source, ref),
      until: (source) => {
        const seen = handledRun(source, kind, requestedAt);
        if (!seen) return undefined;
        reporter.update(progressOf(kind, seen, source));
        return terminal.has(seen.state ?? "") ? { run: seen, source } : undefined;
      },
      timeoutMs: ctx.flags.timeoutMs,
      what: `the ${kind} run of k3source/${name}`,
    });
  } finally {
    reporter.finish();
  }
  const { run, source } = last;
  if (ctx.flags.output) ctx.streams.out.write(formatStructured(run, ctx.flags.output));
  else ctx.streams.out.write(`k3source/${name} ${kind} run ${run.id ?? ""} ${progressText(progressOf(kind, run, source))}${run.message ? `: ${run.message}` : ""}\n`);
  return runSucceeded(run) ? 0 : 1;
}
