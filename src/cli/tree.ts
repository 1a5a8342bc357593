// `kubectl k3 tree [KIND/NAME]`: how a namespace's objects hang together — sources → rules →
// pipelines → jobs — with each one's Ready/Synced, remote id, last run and counts, and the
// branches that fail sorted first with the reason, so the broken link is the first line read.
import type { K3IngestJob, K3IngestRule, K3Pipeline, K3Source } from "../api/gen/index.js";
import { kinds, type Kind } from "../api/keys.js";
import { Informer } from "../runtime/index.js";
import { UsageError } from "./args.js";
import { Resources, type CliContext } from "./context.js";
import { formatStructured, paint, type OutputStyle } from "./output.js";

/** A condition as every kind's status carries it. */
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** One object of the tree, with what its line shows and the objects hanging below it. */
export interface TreeNode {
  kind: Kind;
  namespace: string;
  name: string;
  /** "True" | "False" | "Unknown", absent before the operator's first status */
  ready?: string;
  synced?: string;
  remoteId?: string;
  /** the last run in words, e.g. `ingestion Succeeded 11 ingested, 1 failed` */
  lastRun?: string;
  /** counts in words, e.g. `succeeded=5 failed=1` */
  counts?: string;
  /** why this object itself fails, e.g. `Ready=False DependencyNotReady: K3Source reports (not found)` */
  reason?: string;
  /** this object or one below it fails */
  failing: boolean;
  children: TreeNode[];
}

/** Everything of one namespace the tree is built from. */
export interface Objects {
  sources: K3Source[];
  pipelines: K3Pipeline[];
  rules: K3IngestRule[];
  jobs: K3IngestJob[];
}

/** A compact age of a timestamp: 42s, 5m, 3h, 2d. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return "?";
  const seconds = Math.max(0, Math.round((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function condition(obj: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** The reason an object with conditions fails (Ready or Synced False), or undefined when it does not. */
function conditionFailure(obj: { status?: { conditions?: Condition[] } }): string | undefined {
  for (const type of ["Ready", "Synced"]) {
    const c = condition(obj, type);
    if (c?.status === "False") return `${type}=False ${c.reason}${c.message ? `: ${c.message}` : ""}`;
  }
  return undefined;
}

function node(kind: Kind, obj: { metadata: { name?: string; namespace?: string }; status?: { conditions?: Condition[] } }, fields: Partial<TreeNode>): TreeNode {
  const reason = fields.reason ?? conditionFailure(obj);
  return {
    kind,
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name ?? "",
    ready: condition(obj, "Ready")?.status,
    synced: condition(obj, "Synced")?.status,
    ...fields,
    reason,
    failing: reason !== undefined,
    children: [],
  };
}

function sourceNode(source: K3Source, now: number): TreeNode {
  const sync = source.status?.sync;
  const runs: string[] = [];
  const d = sync?.discovery;
  if (d?.state) runs.push(`discovery ${d.state} ${d.objectsDiscovered ?? 0} found${d.finishedAt ? ` ${age(d.finishedAt, now)} ago` : ""}`);
  const i = sync?.ingestion;
  if (i?.state) runs.push(`ingestion ${i.state} ${i.objectsIngested ?? 0} ingested, ${i.objectsFailed ?? 0} failed${i.finishedAt ? ` ${age(i.finishedAt, now)} ago` : ""}`);
  const credential = condition(source, "CredentialReady");
  const credentialReason = credential?.status === "False" ? `CredentialReady=False ${credential.reason}${credential.message ? `: ${credential.message}` : ""}` : undefined;
  return node(kinds.source, source, { remoteId: source.status?.sourceId, lastRun: runs.join(" · ") || undefined, reason: conditionFailure(source) ?? credentialReason });
}

function pipelineNode(pipeline: K3Pipeline): TreeNode {
  const t = pipeline.status?.template;
  return node(kinds.pipeline, pipeline, { remoteId: pipeline.status?.pipelineId, counts: t?.name ? `template ${t.name}@${t.version ?? "latest"}` : undefined });
}

function ruleNode(rule: K3IngestRule): TreeNode {
  const jobs = rule.status?.jobs;
  const last = jobs?.lastJob;
  return node(kinds.ingestRule, rule, {
    remoteId: rule.status?.ruleId,
    lastRun: last?.state ? `last job ${last.state} ${last.objectKey ?? ""}`.trim() : undefined,
    counts: jobs ? `queued=${jobs.queued ?? 0} running=${jobs.running ?? 0} succeeded=${jobs.succeeded ?? 0} failed=${jobs.failed ?? 0}` : undefined,
  });
}

/** Why a job fails (its Failed condition, else its first failed object), or undefined while none did. */
function jobFailure(job: K3IngestJob): string | undefined {
  const failedObjects = job.status?.counts?.failed ?? 0;
  if (job.status?.phase !== "Failed" && failedObjects === 0) return undefined;
  const failed = job.status?.conditions?.find((x) => x.type === "Failed" && x.status === "True");
  if (failed) return `Failed ${failed.reason}: ${failed.message}`;
  const first = job.status?.jobs?.find((j) => j.state === "Failed");
  return `${job.status?.phase ?? "Running"} ${failedObjects} object(s) failed${first ? `, e.g. ${first.objectKey ?? first.id}: ${first.error ?? "failed"}` : ""}`;
}

function jobNode(job: K3IngestJob, now: number): TreeNode {
  const c = job.status?.counts ?? {};
  const finished = job.status?.completionTime;
  return node(kinds.ingestJob, job, {
    remoteId: job.status?.triggerId,
    lastRun: `${job.status?.phase ?? "Pending"}${finished ? ` ${age(finished, now)} ago` : ""}`,
    counts: `succeeded=${c.succeeded ?? 0} failed=${c.failed ?? 0} total=${c.total ?? 0}`,
    reason: jobFailure(job),
  });
}

/** Sorts failing branches first (then by name) and marks a node failing when a child is. */
function settle(n: TreeNode): TreeNode {
  n.children = n.children.map(settle).sort((a, b) => Number(b.failing) - Number(a.failing) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  n.failing = n.failing || n.children.some((c) => c.failing);
  return n;
}

/** The forest of one namespace: sources at the roots, and every object no source leads to as a root of its own. */
export function buildTree(objects: Objects, now = Date.now()): TreeNode[] {
  const placed = new Set<object>();
  const jobsOf = (rule: K3IngestRule): TreeNode[] =>
    objects.jobs.filter((j) => j.spec.ruleRef.name === rule.metadata.name).map((j) => (placed.add(j), jobNode(j, now)));
  const ruleTree = (rule: K3IngestRule): TreeNode => {
    placed.add(rule);
    const n = ruleNode(rule);
    const pipeline = objects.pipelines.find((p) => (rule.spec.pipelineRef?.name ?? undefined) === p.metadata.name || (!!p.status?.pipelineId && p.status.pipelineId === (rule.spec.pipelineId ?? rule.status?.pipelineId)));
    const jobs = jobsOf(rule);
    if (pipeline) {
      placed.add(pipeline);
      const p = pipelineNode(pipeline);
      p.children = jobs;
      n.children = [p];
    } else n.children = jobs;
    return n;
  };
  const roots = objects.sources.map((source) => {
    placed.add(source);
    const n = sourceNode(source, now);
    const id = source.status?.sourceId;
    n.children = objects.rules
      .filter((r) => r.spec.sourceRef?.name === source.metadata.name || (!!id && (r.spec.sourceId === id || r.status?.sourceId === id)))
      .map(ruleTree);
    return n;
  });
  for (const rule of objects.rules) if (!placed.has(rule)) roots.push(ruleTree(rule));
  for (const pipeline of objects.pipelines) if (!placed.has(pipeline)) roots.push(pipelineNode(pipeline));
  for (const job of objects.jobs) if (!placed.has(job)) roots.push(jobNode(job, now));
  return roots.map(settle).sort((a, b) => Number(b.failing) - Number(a.failing) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** Keeps only the branches that lead to `kind/name`, with everything below that object. */
export function focus(roots: TreeNode[], kind: Kind, name: string): TreeNode[] {
  const keep = (n: TreeNode): TreeNode | undefined => {
    if (n.kind === kind && n.name === name) return n;
    const children = n.children.map(keep).filter((c): c is TreeNode => c !== undefined);
    return children.length > 0 ? { ...n, children } : undefined;
  };
  return roots.map(keep).filter((c): c is TreeNode => c !== undefined);
}

const kindNames: Record<string, Kind> = {};
for (const [kind, names] of [
  [kinds.source, ["k3source", "k3sources", "k3src", "source"]],
  [kinds.pipeline, ["k3pipeline", "k3pipelines", "k3pl", "pipeline"]],
  [kinds.ingestRule, ["k3ingestrule", "k3ingestrules", "k3rule", "rule"]],
  [kinds.ingestJob, ["k3ingestjob", "k3ingestjobs", "k3job", "job"]],
] as const) for (const each of names) kindNames[each] = kind;

/** Reads `KIND/NAME` as kubectl spells it (kind, plural, short name, any case). */
export function parseObjectRef(text: string): { kind: Kind; name: string } {
  const [kindText, name, extra] = text.split("/");
  const kind = kindNames[(kindText ?? "").toLowerCase()];
  if (!kind || !name || extra !== undefined) throw new UsageError(`cannot read ${JSON.stringify(text)} as KIND/NAME (e.g. k3src/reports, k3rule/pdfs)`);
  return { kind, name };
}

function mark(style: OutputStyle, label: string, status: string | undefined): string {
  const text = `${label}=${status ?? "?"}`;
  return status === "True" ? paint(style, "green", text) : status === "False" ? paint(style, "red", text) : paint(style, "yellow", text);
}

/** The line of one node (without the tree's indentation). */
export function nodeLine(n: TreeNode, style: OutputStyle): string {
  const parts = [`${n.kind}/${n.name}`];
  if (n.kind !== kinds.ingestJob) parts.push(mark(style, "Ready", n.ready), mark(style, "Synced", n.synced));
  parts.push(`id=${n.remoteId ?? "-"}`);
  if (n.lastRun) parts.push(n.lastRun);
  if (n.counts) parts.push(n.counts);
  if (n.reason) parts.push(paint(style, "red", `— ${n.reason}`));
  return parts.join("  ");
}

/** The tree as text lines, drawn with box characters. */
export function renderTree(roots: TreeNode[], style: OutputStyle): string[] {
  const lines: string[] = [];
  const walk = (n: TreeNode, prefix: string, last: boolean, root: boolean): void => {
    lines.push(root ? nodeLine(n, style) : `${prefix}${last ? "└─ " : "├─ "}${nodeLine(n, style)}`);
    const childPrefix = root ? "" : `${prefix}${last ? "   " : "│  "}`;
    n.children.forEach((c, i) => walk(c, childPrefix, i === n.children.length - 1, false));
  };
  for (const r of roots) walk(r, "", true, true);
  return lines;
}

/** The four kinds' objects of the namespace(s) a tree shows. */
type Listed = Objects;

/** What `tree` prints for these objects: the text for stdout and stderr, and the exit code. */
function treeOutput(ctx: CliContext, objects: Listed, ref: { kind: Kind; name: string } | undefined): { out: string; err: string; exitCode: number } {
  const { sources, pipelines, rules, jobs } = objects;
  const namespaces = [...new Set([sources, pipelines, rules, jobs].flatMap((l) => l.map((o) => o.metadata.namespace ?? "")))].sort();
  const inNs = <T extends { metadata: { namespace?: string } }>(items: T[], ns: string): T[] => items.filter((o) => o.metadata.namespace === ns);
  const forests = namespaces.map((ns) => {
    const roots = buildTree({ sources: inNs(sources, ns), pipelines: inNs(pipelines, ns), rules: inNs(rules, ns), jobs: inNs(jobs, ns) });
    return { namespace: ns, roots: ref ? focus(roots, ref.kind, ref.name) : roots };
  }).filter((f) => f.roots.length > 0);
  const where = ctx.allNamespaces ? "" : ` in namespace ${ctx.namespace}`;
  if (ref && forests.length === 0) return { out: "", err: `${ref.kind}/${ref.name} not found${where}\n`, exitCode: 1 };
  if (ctx.flags.output) return { out: formatStructured(ctx.allNamespaces ? forests : (forests[0]?.roots ?? []), ctx.flags.output), err: "", exitCode: 0 };
  const style = { color: ctx.style.color && ctx.streams.out.isTTY === true, tty: ctx.streams.out.isTTY === true };
  const out = forests.map((forest) => (ctx.allNamespaces ? `namespace ${forest.namespace}\n` : "") + renderTree(forest.roots, style).join("\n") + "\n").join("");
  return { out, err: forests.length === 0 ? `no K3 objects found${where}\n` : "", exitCode: 0 };
}

/** Runs `tree`; resolves with the exit code (1 when the object asked for does not exist). */
export async function showTree(ctx: CliContext, target: string | undefined): Promise<number> {
  const ref = target === undefined ? undefined : parseObjectRef(target);
  if (ctx.flags.watch) return watchTree(ctx, ref);
  const options = ctx.allNamespaces ? {} : { namespace: ctx.namespace };
  const [sources, pipelines, rules, jobs] = await Promise.all([
    ctx.kube.list<K3Source>(Resources.K3Source, options),
    ctx.kube.list<K3Pipeline>(Resources.K3Pipeline, options),
    ctx.kube.list<K3IngestRule>(Resources.K3IngestRule, options),
    ctx.kube.list<K3IngestJob>(Resources.K3IngestJob, options),
  ]);
  const { out, err, exitCode } = treeOutput(ctx, { sources: sources.items, pipelines: pipelines.items, rules: rules.items, jobs: jobs.items }, ref);
  ctx.streams.err.write(err);
  ctx.streams.out.write(out);
  return exitCode;
}

/** How long `tree --watch` gathers changes before drawing again (a run updates several objects at once). */
const REDRAW_AFTER_MS = 200;

/**
 * `tree --watch`: the four kinds through watches (the runtime's informers, as the operator
 * reads them), the tree drawn again whenever what it shows changes — in place on a terminal,
 * as a new block after a timestamp line otherwise — until interrupted (Ctrl-C: exit 0).
 */
async function watchTree(ctx: CliContext, ref: { kind: Kind; name: string } | undefined): Promise<number> {
  const namespaces = ctx.allNamespaces ? [] : [ctx.namespace];
  // Informers retry a refused list forever; one list first turns a missing CRD or RBAC into an error.
  await ctx.kube.list(Resources.K3Source, { namespace: namespaces[0], limit: 1 });
  const informers = {
    sources: new Informer<K3Source>({ kube: ctx.kube, resource: Resources.K3Source, namespaces }),
    pipelines: new Informer<K3Pipeline>({ kube: ctx.kube, resource: Resources.K3Pipeline, namespaces }),
    rules: new Informer<K3IngestRule>({ kube: ctx.kube, resource: Resources.K3IngestRule, namespaces }),
    jobs: new Informer<K3IngestJob>({ kube: ctx.kube, resource: Resources.K3IngestJob, namespaces }),
  };
  const all = Object.values(informers);
  let shown: string | undefined;
  const draw = (): void => {
    const { out, err } = treeOutput(ctx, { sources: informers.sources.list(), pipelines: informers.pipelines.list(), rules: informers.rules.list(), jobs: informers.jobs.list() }, ref);
    const text = out + err;
    if (text === shown) return;
    shown = text;
    if (ctx.streams.out.isTTY === true) ctx.streams.out.write("\x1b[H\x1b[2J");
    else if (!ctx.flags.output) ctx.streams.out.write(`--- ${new Date().toISOString().slice(11, 19)}\n`);
    ctx.streams.out.write(out || err);
  };
  let timer: NodeJS.Timeout | undefined;
  const redrawSoon = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      draw();
    }, REDRAW_AFTER_MS);
  };
  for (const informer of all) informer.addHandlers({ onAdd: redrawSoon, onUpdate: redrawSoon, onDelete: redrawSoon });
  for (const informer of all) informer.start();
  const interrupted = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await Promise.race([Promise.all(all.map((i) => i.waitForSync())), interrupted]);
  draw();
  await interrupted;
  clearTimeout(timer);
  await Promise.all(all.map((i) => i.stop()));
  return 0;
}
