// `kubectl k3 run RULE [--keys k1,k2] [--wait]` creates a K3IngestJob (the operator starts and
// observes it) and follows its status.counts; `kubectl k3 jobs [RULE]` lists recent jobs with
// the objects that failed in each.
import type { K3IngestJob } from "../api/gen/index.js";
import { apiVersion, kinds } from "../api/keys.js";
import { Resources, type CliContext } from "./context.js";
import { follow } from "./follow.js";
import { formatStructured, paint, ProgressReporter, type Progress } from "./output.js";
import { age } from "./tree.js";

/** The K3IngestJob `run` creates: a generated name after the rule, the keys given (none = all). */
export function newJob(namespace: string, rule: string, keys: readonly string[]): K3IngestJob {
  return {
    apiVersion,
    kind: kinds.ingestJob,
    metadata: { generateName: `${rule}-`, namespace },
    spec: { ruleRef: { name: rule }, ...(keys.length > 0 ? { objectKeys: [...keys] } : {}) },
  };
}

/** The progress a job's status shows. */
export function jobProgress(job: K3IngestJob): Progress {
  const c = job.status?.counts ?? {};
  return { state: job.status?.phase ?? "Pending", done: (c.succeeded ?? 0) + (c.failed ?? 0), total: c.total || undefined, failed: c.failed ?? 0 };
}

/** The reason a finished job failed (its Failed condition), or undefined. */
function failure(job: K3IngestJob): string | undefined {
  const failed = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  return failed ? `${failed.reason}: ${failed.message}` : undefined;
}

/** Runs `run`; resolves with the exit code. */
export async function runJob(ctx: CliContext, rule: string): Promise<number> {
  const created = await ctx.kube.create<K3IngestJob>(Resources.K3IngestJob, newJob(ctx.namespace, rule, ctx.flags.keys));
  const name = created.metadata.name ?? "";
  ctx.streams.err.write(`k3ingestjob/${name} created\n`);
  if (!ctx.flags.wait) {
    if (ctx.flags.output) ctx.streams.out.write(formatStructured(created, ctx.flags.output));
    else ctx.streams.out.write(`k3ingestjob/${name}\n`);
    return 0;
  }
  const reporter = new ProgressReporter(ctx.streams.err, ctx.style, `k3ingestjob/${name}`);
  let job: K3IngestJob;
  try {
    job = await follow({
      read: () => ctx.kube.get<K3IngestJob>(Resources.K3IngestJob, { namespace: ctx.namespace, name }),
      until: (seen) => {
        reporter.update(jobProgress(seen));
        const phase = seen.status?.phase;
        return phase === "Succeeded" || phase === "Failed" ? seen : undefined;
      },
      timeoutMs: ctx.flags.timeoutMs,
      what: `k3ingestjob/${name} to finish`,
    });
  } finally {
    reporter.finish();
  }
  if (ctx.flags.output) ctx.streams.out.write(formatStructured(job, ctx.flags.output));
  else ctx.streams.out.write(jobLines(ctx, job).join("\n") + "\n");
  return job.status?.phase === "Succeeded" ? 0 : 1;
}

/** One job as a line plus one indented line per failed object. */
export function jobLines(ctx: Pick<CliContext, "style" | "allNamespaces">, job: K3IngestJob, now = Date.now()): string[] {
  const c = job.status?.counts ?? {};
  const phase = job.status?.phase ?? "Pending";
  const colored = phase === "Failed" ? paint(ctx.style, "red", phase) : phase === "Succeeded" ? paint(ctx.style, "green", phase) : phase;
  const ns = ctx.allNamespaces ? `${job.metadata.namespace}/` : "";
  const reason = failure(job);
  const lines = [`${ns}k3ingestjob/${job.metadata.name} rule=${job.spec.ruleRef.name} ${colored} succeeded=${c.succeeded ?? 0} failed=${c.failed ?? 0} total=${c.total ?? 0} age=${age(job.metadata.creationTimestamp, now)}${reason ? ` — ${reason}` : ""}`];
  for (const each of job.status?.jobs ?? []) {
    if (each.state === "Failed") lines.push(`  ✗ ${each.objectKey ?? each.id}: ${each.error ?? "failed"} (attempts ${each.attempts ?? 0})`);
  }
  return lines;
}

/** Runs `jobs`: the namespace's (or every namespace's) K3IngestJobs, newest first, of one rule or all. */
export async function listJobs(ctx: CliContext, rule: string | undefined): Promise<number> {
  const list = await ctx.kube.list<K3IngestJob>(Resources.K3IngestJob, ctx.allNamespaces ? {} : { namespace: ctx.namespace });
  const jobs = list.items
    .filter((job) => rule === undefined || job.spec.ruleRef.name === rule)
    .sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""));
  if (ctx.flags.output) {
    ctx.streams.out.write(formatStructured({ items: jobs }, ctx.flags.output));
    return 0;
  }
  if (jobs.length === 0) ctx.streams.err.write(`no K3IngestJobs${rule ? ` of rule ${rule}` : ""} found\n`);
  for (const job of jobs) ctx.streams.out.write(jobLines(ctx, job).join("\n") + "\n");
  return 0;
}
