// Scale benchmark of K3IngestRules: a real apiserver, the emulator in-process and the compiled
// operator as a child process. N rules over S sources and P pipelines, applied with kubectl
// server-side apply in batches; measures time to all Ready against the floor (a minimal
// controller doing only the unavoidable calls, same run, same workers and K3 budget), calls and
// writes per object, the operator's memory, a restart and an idle window of resync periods.
// With `--shards N` it runs N operator processes, one per shard (shard 0 the default shard, shard
// k labelled `k3.dodil.io/shard=shard-k`), the floor at N times the workers and budget, and
// checks that each rule was created remotely exactly once. Writes JSON and a markdown table
// under bench/results/.
//
//   npm run bench:scale [-- --rules 1000 --sources 100 --pipelines 100 --workers 4 --k3-qps 20
//                         --apply-batch 100 --apply-parallel 4 --resync-period 60s --resync-periods 3
//                         --unrelated-secrets 0 --node-options="--max-old-space-size=128" --shards 1
//                         --out FILE]
import { benchTeardown, log } from "./support/teardown.js";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { apiVersion, shardLabel } from "../src/api/keys.js";
import { parseDuration } from "../src/config.js";
import type { ControlPlane } from "../src/controlplane/control-plane.js";
import { onParentExit } from "../src/controlplane/processes.js";
import { K3Resources } from "../src/controllers/resources.js";
import { isMutatingRpc, type EmulatorHandle } from "../src/emulator/index.js";
import { type KubeClient, type ResourceType } from "../src/runtime/index.js";
import { cpuSeconds } from "./support/process-cpu.js";
import { readApiserverCpuSeconds, readApiserverWrites, type WriteCounts } from "./support/apiserver-writes.js";
import type { FloorConfig } from "./support/floor.js";
import { buildOperator, startOperatorProcess, summarizeLog, type LogSummary, type OperatorProcess, type ProcessMemory } from "./support/operator-process.js";
import { countersBetween, sumBy, sumOf, type Sample } from "./support/prometheus-text.js";
import { ReadyTracker } from "./support/ready-tracker.js";
import { kubectl, startBenchServices } from "./support/bench-services.js";
import { gitCommit } from "./support/git-commit.js";

const { values: opts } = parseArgs({
  options: {
    rules: { type: "string", default: "1000" },
    sources: { type: "string" },
    pipelines: { type: "string" },
    workers: { type: "string", default: "4" },
    "k3-qps": { type: "string" },
    "apply-batch": { type: "string", default: "100" },
    "apply-parallel": { type: "string", default: "4" },
    "resync-period": { type: "string" },
    "resync-periods": { type: "string", default: "3" },
    "unrelated-secrets": { type: "string", default: "0" },
    "node-options": { type: "string", default: "" },
    shards: { type: "string", default: "1" },
    timeout: { type: "string", default: "30m" },
    "log-level": { type: "string", default: "info" },
    out: { type: "string", default: fileURLToPath(new URL("results/scale.json", import.meta.url)) },
  },
});
const rules = Number(opts.rules);
// 100 each at the default 1,000 rules; fewer for a small run (one per ten rules, at least one).
const sources = Number(opts.sources ?? Math.min(100, Math.max(1, Math.ceil(rules / 10))));
const pipelines = Number(opts.pipelines ?? Math.min(100, Math.max(1, Math.ceil(rules / 10))));
const workers = Number(opts.workers);
const k3Qps = opts["k3-qps"] === undefined ? undefined : Number(opts["k3-qps"]);
const effectiveQps = k3Qps ?? 20;
const applyBatch = Number(opts["apply-batch"]);
const applyParallel = Number(opts["apply-parallel"]);
const resyncPeriods = Number(opts["resync-periods"]);
const unrelatedSecrets = Number(opts["unrelated-secrets"]);
const nodeArgs = opts["node-options"].split(/\s+/).filter(Boolean);
const timeoutMs = parseDuration(opts.timeout);
const managedObjects = rules + sources + pipelines;
const shardCount = Number(opts.shards);
/** Stops before anything starts: a bad option is the user's to fix. */
function usageError(message: string): never {
  console.error(`bench:scale: ${message}`);
  process.exit(2);
}
if (!Number.isInteger(shardCount) || shardCount < 1) usageError(`--shards must be a whole number of at least 1, got "${opts.shards}"`);
if (sources % shardCount !== 0 || pipelines % shardCount !== 0) {
  usageError(`--shards ${shardCount} must divide the number of sources (${sources}) and of pipelines (${pipelines}), so that every rule shares its shard with its source and pipeline; pass --sources and --pipelines as multiples of ${shardCount}`);
}
// One idle pass over every object must fit well inside a period at the K3 budget (a rule's
// observe is one GetRule), or the idle window would measure a queue that never drains.
// Without a budget, assume ~50 reads/s on a shared machine.
const resyncPeriodMs = opts["resync-period"] !== undefined
  ? parseDuration(opts["resync-period"])
  : Math.max(20_000, Math.ceil((3 * managedObjects) / (effectiveQps > 0 ? effectiveQps : 50)) * 1000);

const ns = { operator: "bench-scale", floor: "bench-floor", secrets: "bench-secrets" };
const namespaceType: ResourceType = { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false };
const kindsWritten = ["k3sources", "k3pipelines", "k3ingestrules", "events", "secrets"];
/** K3 RPCs that read runs or jobs: made only for an active run or job, never by an idle operator */
const runPolls = ["GetSyncStatus", "ListIngestJobs", "GetIngestStatus"];

/** Teardown steps, run in reverse order once, on success, failure or a signal. */
const cleanups = benchTeardown("bench:scale");

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
const mib = (kib: number): number => round(kib / 1024);
const pad = (i: number): string => String(i).padStart(5, "0");

/** Shard k's `--shard` flag and label value: "" for shard 0, the default shard (no flag, objects unlabelled). */
const shardName = (k: number): string => (k === 0 ? "" : `shard-${k}`);
/** How shard k is named in the report. */
const shardTitle = (k: number): string => (k === 0 ? "default" : `shard-${k}`);
/** The metadata that puts an object into shard k: nothing for the default shard. */
const shardMetadata = (k: number): { labels?: Record<string, string> } => (k === 0 ? {} : { labels: { [shardLabel]: shardName(k) } });
/** How many of the rules go to shard k (rule i goes to shard i mod N). */
const rulesOfShard = (k: number): number => Math.max(0, Math.ceil((rules - k) / shardCount));
const shardIndexes = Array.from({ length: shardCount }, (_, k) => k);
/** `make()` with more than one shard, nothing with one: the report of one shard stays as it was before shards. */
const whenSharded = <T extends object>(make: () => T): T | Record<never, never> => (shardCount > 1 ? make() : {});

function sourceManifest(namespace: string, i: number): object {
  return { apiVersion, kind: "K3Source", metadata: { name: `source-${pad(i)}`, namespace, ...shardMetadata(i % shardCount) }, spec: { type: "HTTP", http: { url: `https://files.example.com/bench/${i}/` } } };
}

function pipelineManifest(namespace: string, i: number): object {
  return {
    apiVersion, kind: "K3Pipeline", metadata: { name: `pipeline-${pad(i)}`, namespace, ...shardMetadata(i % shardCount) },
    spec: { template: { name: "document-chunker" }, parameters: { chunkSize: 512, overlap: 64 }, destinations: [{ name: "main-index", type: "VectorStore", config: { collection: `bench-${i}` } }] },
  };
}

/**
 * Rule i: shard s = i mod N, source i mod S and pipeline ((i div S)·N + s) mod P — both in shard s
 * since N divides S and P (for N = 1: source i mod S, pipeline (i div S) mod P). `sharded` false
 * leaves the shard label off (the floor's rules: the floor selects no label).
 */
function ruleManifest(namespace: string, i: number, sharded = true): object {
  const s = i % shardCount;
  return {
    apiVersion, kind: "K3IngestRule", metadata: { name: `rule-${pad(i)}`, namespace, ...(sharded ? shardMetadata(s) : {}) },
    spec: {
      sourceRef: { name: `source-${pad(i % sources)}` },
      pipelineRef: { name: `pipeline-${pad((Math.floor(i / sources) * shardCount + s) % pipelines)}` },
      trigger: { type: "OnNewObject" },
      filter: { includePaths: [`docs/${i % 7}/**`], mimeTypes: ["application/pdf", "text/markdown"] },
    },
  };
}

/** Everything the phases share. */
interface Bench {
  plane: ControlPlane;
  emulator: EmulatorHandle;
  kube: KubeClient;
  scratch: string;
  tokenFile: string;
  trackers: { sources: ReadyTracker; pipelines: ReadyTracker; rules: ReadyTracker };
  /** one operator process per shard, index k = shard k */
  operators: OperatorProcess[];
  /** Starts every shard's operator at once; resolves when all are ready (stops those started if one fails). */
  startOperators(resyncPeriod: string): Promise<OperatorProcess[]>;
  /** each shard's operator log, index k = shard k */
  logFiles: string[];
}

/** Server-side apply, as a user (or a GitOps tool) applies: batches of manifests, a few kubectl processes at once. */
async function applyAll(b: Bench, label: string, manifests: object[]): Promise<number> {
  const t0 = performance.now();
  const batches: object[][] = [];
  for (let i = 0; i < manifests.length; i += applyBatch) batches.push(manifests.slice(i, i + applyBatch));
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(applyParallel, batches.length) }, async () => {
    while (next < batches.length) {
      const n = next++;
      const file = join(b.scratch, `${label}-${n}.yaml`);
      await writeFile(file, (batches[n] as object[]).map((m) => stringify(m)).join("---\n"));
      await kubectl(b.plane, ["apply", "--server-side", "--field-manager", "bench", "-f", file]);
    }
  }));
  return performance.now() - t0;
}

async function setUp(): Promise<Bench> {
  const scratch = await mkdtemp(join(tmpdir(), "k3-bench-"));
  const logFiles = shardIndexes.map((k) => join(scratch, k === 0 ? "operator.log" : `operator-${shardName(k)}.log`));
  log(`scratch folder (operator log${shardCount > 1 ? "s" : ""}): ${scratch}`);
  const compiledMain = await buildOperator();
  const { plane, emulator, kube, tokenFile } = await startBenchServices(cleanups, scratch);
  for (const name of Object.values(ns)) await kube.create(namespaceType, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  const tracked = [ns.operator, ns.floor];
  const trackers = {
    sources: new ReadyTracker({ kube, namespaces: tracked, resource: K3Resources.K3Source }),
    pipelines: new ReadyTracker({ kube, namespaces: tracked, resource: K3Resources.K3Pipeline }),
    rules: new ReadyTracker({ kube, namespaces: tracked, resource: K3Resources.K3IngestRule }),
  };
  for (const t of Object.values(trackers)) {
    await t.start();
    cleanups.add("watch", () => t.stop());
  }
  const startOperator = (k: number, resyncPeriod: string): Promise<OperatorProcess> =>
    startOperatorProcess({
      compiledMain, kubeconfigPath: plane.kubeconfigPath, k3Endpoint: emulator.address, k3TokenFile: tokenFile, workers, k3Qps, logFile: logFiles[k] as string, resyncPeriod,
      logLevel: opts["log-level"], nodeArgs, extraArgs: ["--namespaces", `${ns.operator},${ns.secrets}`, ...(k === 0 ? [] : ["--shard", shardName(k)])], readyTimeoutMs: 180_000,
    });
  const startOperators = async (resyncPeriod: string): Promise<OperatorProcess[]> => {
    const settled = await Promise.allSettled(shardIndexes.map((k) => startOperator(k, resyncPeriod)));
    const started = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) {
      await Promise.all(started.map((o) => o.stop()));
      throw failed.reason;
    }
    return started;
  };
  const bench: Bench = { plane, emulator, kube, scratch, tokenFile, trackers, operators: [], startOperators, logFiles };
  cleanups.add("operator", async () => { await Promise.all(bench.operators.map((o) => o.stop())); });
  bench.operators = await startOperators("60m");
  log(shardCount === 1 ? `operator pid ${bench.operators[0]?.pid} ready` : `${shardCount} operators ready: ${bench.operators.map((o, k) => `${shardTitle(k)} pid ${o.pid}`).join(", ")}`);
  return bench;
}

/** What happened between two snapshots: apiserver writes by target and verb, K3 calls by RPC, reconciles. */
interface Snapshot {
  writes: WriteCounts;
  /** each operator process's /metrics, index k = shard k (none when taken without the operators) */
  operators: Sample[][];
}

/** Every operator process's /metrics, index k = shard k. */
const operatorMetrics = (b: Bench): Promise<Sample[][]> => Promise.all(b.operators.map((o) => o.metrics()));

async function snapshot(b: Bench, withOperator = true): Promise<Snapshot> {
  const [writes, operators] = await Promise.all([readApiserverWrites({ kubeconfigPath: b.plane.kubeconfigPath, resources: kindsWritten }), withOperator ? operatorMetrics(b) : Promise.resolve([])]);
  return { writes, operators };
}

/** One operator process's own account between two snapshots: reconciles by controller, K3 calls by RPC. */
interface ShardActivity {
  reconciles: Record<string, number>;
  calls: Record<string, number>;
}

interface Activity {
  /** `resource[/subresource] VERB` → count, the benchmark's own applies (APPLY) left out */
  writes: Record<string, number>;
  /** the benchmark's own server-side applies */
  applies: number;
  calls: Record<string, number>;
  reconciles: number;
  /** per operator process, index k = shard k (empty without the operators) */
  byShard: ShardActivity[];
}

async function activitySince(b: Bench, before: Snapshot, withOperator = true): Promise<Activity> {
  const after = await snapshot(b, withOperator);
  const writes: Record<string, number> = {};
  let applies = 0;
  for (const [key, n] of Object.entries(countersBetween(before.writes, after.writes))) {
    const [target = "", verb = ""] = key.split(" ");
    if (verb === "APPLY") applies += n;
    else writes[`${target} ${verb}`] = (writes[`${target} ${verb}`] ?? 0) + n;
  }
  const byShard = after.operators.map((samples, k): ShardActivity => {
    const earlier = before.operators[k] ?? [];
    return {
      reconciles: countersBetween(sumBy(earlier, "k3_reconcile_total", "controller"), sumBy(samples, "k3_reconcile_total", "controller")),
      calls: countersBetween(sumBy(earlier, "k3_external_requests_total", "operation"), sumBy(samples, "k3_external_requests_total", "operation")),
    };
  });
  const reconciles = byShard.reduce((sum, a) => sum + total(a.reconciles), 0);
  return { writes, applies, calls: b.emulator.calls.snapshot(), reconciles, byShard };
}

/**
 * Resolves once the operators reconciled at least `minReconciles` times in all and then all did
 * nothing for `quietMs` — or, with `queueOnly`, kept their work queues empty that long (drift
 * polls of a short resync period never stop, but each is handled at once) — and returns when
 * that began.
 */
async function waitQuiet(operators: OperatorProcess[], options: { minReconciles: number; quietMs: number; timeoutMs: number; queueOnly?: boolean }): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let last = -1;
  let since = performance.now();
  while (Date.now() < deadline) {
    const metrics = (await Promise.all(operators.map((o) => o.metrics()))).flat();
    const total = sumOf(metrics, "k3_reconcile_total");
    const busy = sumOf(metrics, "k3_workqueue_depth") > 0 || total < options.minReconciles;
    if (busy || (!options.queueOnly && total !== last)) {
      last = total;
      since = performance.now();
    } else if (total >= options.minReconciles && performance.now() - since >= options.quietMs) {
      return since;
    }
    await sleep(100);
  }
  throw new Error(`the operator${operators.length > 1 ? "s" : ""} did not settle within ${options.timeoutMs} ms (reconciles so far: ${last})`);
}

/** The largest heap figures of one process seen while sampling, in KiB. */
interface HeapPeaks {
  maxHeapUsedKiB: number;
  maxHeapTotalKiB: number;
  maxExternalKiB: number;
}

/** Samples every operator's memory every second while `work` runs; returns the largest heap figures seen per process (index k = shard k). */
async function sampled<T>(b: Bench, work: Promise<T>): Promise<{ value: T; peaks: HeapPeaks[] }> {
  let stop = false;
  const peaks: HeapPeaks[] = b.operators.map(() => ({ maxHeapUsedKiB: 0, maxHeapTotalKiB: 0, maxExternalKiB: 0 }));
  const sampler = (async () => {
    while (!stop) {
      await Promise.all(b.operators.map(async (operator, k) => {
        const m = await operator.memory().catch(() => undefined);
        const p = peaks[k];
        if (m && p) {
          p.maxHeapUsedKiB = Math.max(p.maxHeapUsedKiB, m.heapUsedKiB);
          p.maxHeapTotalKiB = Math.max(p.maxHeapTotalKiB, m.heapTotalKiB);
          p.maxExternalKiB = Math.max(p.maxExternalKiB, m.externalKiB);
        }
      }));
      await sleep(1_000);
    }
  })();
  try {
    return { value: await work, peaks };
  } finally {
    stop = true;
    await sampler;
  }
}

/** Applies manifests and waits until every one is Ready; a progress line every 10 s. */
async function applyAndWait(b: Bench, label: string, tracker: ReadyTracker, manifests: { metadata: { namespace: string; name: string } }[]): Promise<{ applyMs: number; allReadyMs: number }> {
  const keys = manifests.map((m) => `${m.metadata.namespace}/${m.metadata.name}`);
  const already = tracker.readyCount;
  const t0 = performance.now();
  const progress = setInterval(() => log(`${label}: ${tracker.readyCount - already}/${keys.length} Ready`), 10_000);
  try {
    const applyMs = await applyAll(b, label, manifests);
    log(`${label}: ${keys.length} applied in ${round(applyMs / 1000, 1)} s`);
    await tracker.waitReady(keys, timeoutMs).catch((err: unknown) => {
      console.error(JSON.stringify(tracker.notReady().slice(0, 3), null, 2));
      throw err;
    });
    const allReadyMs = Math.max(...keys.map((k) => tracker.readyTime(...(k.split("/") as [string, string])) as number)) - t0;
    log(`${label}: all ${keys.length} Ready after ${round(allReadyMs / 1000, 1)} s`);
    return { applyMs, allReadyMs };
  } finally {
    clearInterval(progress);
  }
}

/** Sources and pipelines the rules need, through the operator (not timed against a floor). */
async function measureDependencies(b: Bench) {
  const before = await snapshot(b);
  b.emulator.resetCounters();
  const srcs = Array.from({ length: sources }, (_, i) => sourceManifest(ns.operator, i)) as { metadata: { namespace: string; name: string } }[];
  const pls = Array.from({ length: pipelines }, (_, i) => pipelineManifest(ns.operator, i)) as { metadata: { namespace: string; name: string } }[];
  const [s, p] = await Promise.all([applyAndWait(b, "sources", b.trackers.sources, srcs), applyAndWait(b, "pipelines", b.trackers.pipelines, pls)]);
  await waitQuiet(b.operators, { minReconciles: 0, quietMs: 3_000, timeoutMs: 300_000 });
  return { sources: s, pipelines: p, activity: await activitySince(b, before) };
}

/** Every operator's memory now, index k = shard k. */
const memories = (b: Bench): Promise<ProcessMemory[]> => Promise.all(b.operators.map((o) => o.memory()));

/**
 * CPU seconds used while `work` runs, by the controller's processes (the operators, or the
 * floor) and by the apiserver: what the work cost, however busy the machine's cores were.
 */
async function cpuDuring<T>(b: Bench, pids: () => number[], work: () => Promise<T>): Promise<{ value: T; cpu: { controller: number; apiserver: number } }> {
  const controller = async (): Promise<number> => (await Promise.all(pids().map(cpuSeconds))).reduce((a, c) => a + c, 0);
  const [c0, a0] = await Promise.all([controller(), readApiserverCpuSeconds(b.plane.kubeconfigPath)]);
  const value = await work();
  const [c1, a1] = await Promise.all([controller(), readApiserverCpuSeconds(b.plane.kubeconfigPath)]);
  return { value, cpu: { controller: c1 - c0, apiserver: a1 - a0 } };
}

/** N rules through the operator: time to all Ready, calls and writes, memory (per process), CPU. */
async function measureRules(b: Bench) {
  const memoryBefore = await memories(b);
  const before = await snapshot(b);
  b.emulator.resetCounters();
  const manifests = Array.from({ length: rules }, (_, i) => ruleManifest(ns.operator, i)) as { metadata: { namespace: string; name: string } }[];
  const { value: run, cpu } = await cpuDuring(b, () => b.operators.map((o) => o.pid), async () => {
    const sampledRun = await sampled(b, applyAndWait(b, "rules (operator)", b.trackers.rules, manifests));
    await waitQuiet(b.operators, { minReconciles: 0, quietMs: 3_000, timeoutMs: 300_000, queueOnly: true });
    return sampledRun;
  });
  const memoryAllReady = await memories(b);
  return { ...run.value, peaks: run.peaks, memoryBefore, memoryAllReady, cpu, activity: await activitySince(b, before) };
}

/** The exactly-once check in one progress line. */
function describeExactlyOnce(once: ReturnType<typeof exactlyOnce>): string {
  const perShard = shardCount > 1 ? `; by each process's own count: ${Object.entries(once.byShard).map(([t, s]) => `${t} ${s.createRuleCalls} of ${s.rules}`).join(", ")}` : "";
  return `exactly once: the emulator saw ${once.createRuleCalls} CreateRule for ${rules} rules${perShard}${once.ok ? "" : " — MISMATCH"}`;
}

/**
 * Each rule reconciled by exactly one shard: the emulator saw one CreateRule per rule (a second
 * shard creating the same rule would add calls, even though request_id makes them return the
 * same rule), and each process made the CreateRules of its own shard's rules, by its own count.
 */
function exactlyOnce(activity: Activity) {
  const createRuleCalls = activity.calls["CreateRule"] ?? 0;
  const byShard = Object.fromEntries(shardIndexes.map((k) => [shardTitle(k), { rules: rulesOfShard(k), createRuleCalls: activity.byShard[k]?.calls["CreateRule"] ?? 0, reconciles: activity.byShard[k]?.reconciles ?? {} }]));
  const ok = createRuleCalls === rules && Object.values(byShard).every((s) => s.createRuleCalls === s.rules);
  return { rules, createRuleCalls, ok, byShard };
}

/** The same rules brought up by the floor process in another namespace, at the same workers and budget. */
async function measureFloor(b: Bench) {
  const ids = (tracker: ReadyTracker, field: string): Record<string, string> =>
    Object.fromEntries(tracker.list().filter((o) => o.metadata?.namespace === ns.operator).map((o) => [o.metadata?.name ?? "", (o.status as Record<string, string | undefined> | undefined)?.[field] ?? ""]));
  const config: FloorConfig = {
    // N operator processes have N times the workers and N K3 budgets: the floor gets the same.
    kubeconfigPath: b.plane.kubeconfigPath, endpoint: b.emulator.address, tokenFile: b.tokenFile, namespace: ns.floor, workers: workers * shardCount, k3Qps: (k3Qps ?? 20) * shardCount,
    ids: { sources: ids(b.trackers.sources, "sourceId"), pipelines: ids(b.trackers.pipelines, "pipelineId") },
  };
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("support/floor.ts", import.meta.url)), JSON.stringify(config)], { stdio: ["ignore", "pipe", "inherit"] });
  const forget = onParentExit(() => void child.kill("SIGKILL"));
  const exited = once(child, "exit");
  cleanups.add("floor", async () => { if (child.exitCode === null && child.signalCode === null) { child.kill("SIGTERM"); await exited; } });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => { if (d.toString().includes("ready")) resolve(); });
    child.once("exit", (code) => reject(new Error(`the floor process exited early (${code})`)));
  });
  const before = await snapshot(b, false);
  b.emulator.resetCounters();
  const manifests = Array.from({ length: rules }, (_, i) => ruleManifest(ns.floor, i, false)) as { metadata: { namespace: string; name: string } }[];
  const { value: run, cpu } = await cpuDuring(b, () => [child.pid ?? 0], async () => {
    const applied = await applyAndWait(b, "rules (floor)", b.trackers.rules, manifests);
    await sleep(2_000);
    return applied;
  });
  const activity = await activitySince(b, before, false);
  child.kill("SIGTERM");
  await exited;
  forget();
  return { ...run, cpu, activity };
}

/** M Secrets the operator does not use (every 50th of 1 MiB, like Helm release Secrets) in a namespace it watches: its RSS before and after. */
async function measureUnrelatedSecrets(b: Bench) {
  const before = await memories(b);
  const t0 = performance.now();
  const manifests = Array.from({ length: unrelatedSecrets }, (_, i) => ({
    apiVersion: "v1", kind: "Secret", metadata: { name: `sh.helm.release.v1.bench-${pad(i)}.v1`, namespace: ns.secrets }, type: "helm.sh/release.v1",
    data: { release: Buffer.alloc(i % 50 === 0 ? 1024 * 1024 : 1024, i % 251).toString("base64") },
  }));
  await applyAll(b, "secrets", manifests);
  const applyMs = performance.now() - t0;
  await sleep(5_000); // the watch delivers them; the operator has nothing to reconcile
  const after = await memories(b);
  return { count: unrelatedSecrets, largeCount: Math.ceil(unrelatedSecrets / 50), applyMs, before, after };
}

/**
 * Restart (all operators stopped, then all started at once) with a short resync period: the time
 * until all are ready, to the first reconcile of any and until all are quiet, writes and calls;
 * then the idle window.
 */
async function measureRestartAndIdle(b: Bench) {
  const firstExits = await Promise.all(b.operators.map((o) => o.stop()));
  log(`operator${shardCount > 1 ? "s" : ""} stopped (exit ${firstExits.join(", ")}); restarting with --resync-period ${resyncPeriodMs / 1000}s`);
  b.emulator.resetCounters();
  const before: Snapshot = { writes: (await snapshot(b, false)).writes, operators: [] };
  const t0 = performance.now();
  const t0Wall = Date.now();
  b.operators = await b.startOperators(`${resyncPeriodMs / 1000}s`);
  const readyzMs = performance.now() - t0;
  // Each process's first reconcile; the restart's is the first of them.
  const firstReconcileMsByShard: number[] = b.operators.map(() => Number.NaN);
  while (performance.now() - t0 < 120_000 && firstReconcileMsByShard.some(Number.isNaN)) {
    const metrics = await operatorMetrics(b);
    const now = performance.now() - t0;
    metrics.forEach((samples, k) => { if (Number.isNaN(firstReconcileMsByShard[k]) && sumOf(samples, "k3_reconcile_total") > 0) firstReconcileMsByShard[k] = now; });
    await sleep(50);
  }
  const seen = firstReconcileMsByShard.filter((ms) => !Number.isNaN(ms));
  const firstReconcileMs = seen.length > 0 ? Math.min(...seen) : Number.NaN;
  const quietMs = (await waitQuiet(b.operators, { minReconciles: managedObjects, quietMs: 3_000, timeoutMs, queueOnly: true })) - t0;
  const restart = await activitySince(b, before);
  const workersStartedMs = await workersStartedSince(b, t0Wall);
  const restartMemory = await memories(b);
  log(`restart: first reconcile after ${round(firstReconcileMs)} ms, quiet after ${round(quietMs / 1000, 1)} s; idle window of ${resyncPeriods} × ${resyncPeriodMs / 1000} s starts`);
  b.emulator.resetCounters();
  const idleBefore = await snapshot(b);
  const progress = setInterval(() => log(`idle window: ${JSON.stringify(b.emulator.calls.snapshot())}`), 30_000);
  await sleep(resyncPeriods * resyncPeriodMs); // a measurement window, not a wait for a condition
  clearInterval(progress);
  const idle = await activitySince(b, idleBefore);
  const idleMemory = await memories(b);
  const secondExits = await Promise.all(b.operators.map((o) => o.stop()));
  return { firstExits, secondExits, readyzMs, firstReconcileMs, firstReconcileMsByShard, workersStartedMs, quietMs, restart, restartMemory, idle, idleMemory };
}

/**
 * When each controller started its workers after `sinceWall` (epoch ms), by its own log line
 * ("caches synced; starting workers"): the latest over the processes. /readyz answers only once
 * every controller runs, so a small kind's earlier start shows here, not in the first reconcile
 * seen after /readyz.
 */
async function workersStartedSince(b: Bench, sinceWall: number): Promise<Record<string, number>> {
  const started: Record<string, number> = {};
  for (const file of b.logFiles) {
    for (const line of (await readFile(file, "utf8")).split("\n")) {
      if (!line.includes("starting workers")) continue;
      const entry = JSON.parse(line) as { time?: number; controller?: string };
      if (entry.time === undefined || entry.controller === undefined || entry.time < sinceWall) continue;
      started[entry.controller] = Math.max(started[entry.controller] ?? 0, entry.time - sinceWall);
    }
  }
  return started;
}

function perObject(counts: Record<string, number>, divisor: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / divisor, 3)]));
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, c) => a + c, 0);
const mutating = (calls: Record<string, number>): number => Object.entries(calls).filter(([rpc]) => isMutatingRpc(rpc)).reduce((a, [, n]) => a + n, 0);
const reads = (calls: Record<string, number>): number => total(calls) - mutating(calls);

function memoryFigures(m: ProcessMemory) {
  return { rss: mib(m.rssKiB), peak: mib(m.peakKiB), heapUsed: mib(m.heapUsedKiB), heapTotal: mib(m.heapTotalKiB), external: mib(m.externalKiB) };
}

/** Field by field sum of records of numbers (memory of several processes; the sum of one is itself). */
function sumFields<T extends object>(list: readonly T[]): T {
  const sum: Record<string, number> = {};
  for (const item of list) for (const [key, value] of Object.entries(item)) sum[key] = (sum[key] ?? 0) + (value as number);
  return sum as T;
}

/** What one process (or the sum of all) measured in memory over the run. */
interface MemoryTrack {
  beforeRules: ProcessMemory;
  allRulesReady: ProcessMemory;
  duringRules: HeapPeaks;
  settled: ProcessMemory;
  afterRestart: ProcessMemory;
  afterIdleWindow: ProcessMemory;
}

function memorySection(m: MemoryTrack) {
  return {
    beforeRules: memoryFigures(m.beforeRules),
    allRulesReady: memoryFigures(m.allRulesReady),
    duringRules: { maxHeapUsed: mib(m.duringRules.maxHeapUsedKiB), maxHeapTotal: mib(m.duringRules.maxHeapTotalKiB), maxExternal: mib(m.duringRules.maxExternalKiB) },
    settled: memoryFigures(m.settled),
    afterRestart: memoryFigures(m.afterRestart),
    afterIdleWindow: memoryFigures(m.afterIdleWindow),
  };
}

/** Per shard (only with more than one): each process's reconciles by controller and K3 calls by RPC, as counted by itself. */
function shardActivity(a: Activity) {
  return whenSharded(() => ({ byShard: Object.fromEntries(a.byShard.map((s, k) => [shardTitle(k), { reconciles: total(s.reconciles), reconcilesByController: s.reconciles, calls: s.calls }])) }));
}

function describe(a: Activity, divisor: number) {
  return {
    writesPerObject: round(total(a.writes) / divisor, 3),
    writesByTargetVerb: perObject(a.writes, divisor),
    callsPerObject: round(total(a.calls) / divisor, 3),
    mutatingCallsPerObject: round(mutating(a.calls) / divisor, 3),
    readsPerObject: round(reads(a.calls) / divisor, 3),
    callsByRpc: perObject(a.calls, divisor),
    reconcilesPerObject: round(a.reconciles / divisor, 3),
    raw: { writes: a.writes, calls: a.calls, applies: a.applies, reconciles: a.reconciles },
    ...shardActivity(a),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`rules ${rules} over ${sources} sources and ${pipelines} pipelines; workers ${workers}; K3 qps ${k3Qps ?? "operator default (20)"}; ` +
    `apply batches of ${applyBatch}, ${applyParallel} at once; idle: ${resyncPeriods} × ${resyncPeriodMs / 1000} s${nodeArgs.length ? `; node ${nodeArgs.join(" ")}` : ""}` +
    (shardCount > 1 ? `; ${shardCount} shards (one operator process each; the floor at ${workers * shardCount} workers, K3 qps ${(k3Qps ?? 20) * shardCount})` : ""));
  const b = await setUp();
  // Raw figures of each finished phase, so that a run failing late still leaves them.
  const partialFile = opts.out.replace(/\.json$/, "") + ".partial.json";
  const partial: Record<string, unknown> = { commit: gitCommit(), options: { rules, sources, pipelines, workers, k3Qps, nodeOptions: nodeArgs.join(" "), ...whenSharded(() => ({ shards: shardCount })) } };
  const keep = async <T>(name: string, value: T): Promise<T> => {
    partial[name] = value;
    await mkdir(dirname(partialFile), { recursive: true });
    await writeFile(partialFile, `${JSON.stringify(partial, null, 2)}\n`);
    return value;
  };
  const deps = await keep("dependencies", await measureDependencies(b));
  const operatorRun = await keep("operator", await measureRules(b));
  const once = await keep("exactlyOnce", exactlyOnce(operatorRun.activity));
  log(describeExactlyOnce(once));
  const floor = await keep("floor", await measureFloor(b));
  const settledMemory = await keep("settledMemory", await memories(b));
  const secrets = unrelatedSecrets > 0 ? await keep("secrets", await measureUnrelatedSecrets(b)) : undefined;
  const later = await measureRestartAndIdle(b);
  await rm(partialFile, { force: true });
  const logSummaries = await Promise.all(b.logFiles.map((f) => summarizeLog(f)));
  const memoryTracks: MemoryTrack[] = shardIndexes.map((k) => ({
    beforeRules: operatorRun.memoryBefore[k] as ProcessMemory, allRulesReady: operatorRun.memoryAllReady[k] as ProcessMemory, duringRules: operatorRun.peaks[k] as HeapPeaks,
    settled: settledMemory[k] as ProcessMemory, afterRestart: later.restartMemory[k] as ProcessMemory, afterIdleWindow: later.idleMemory[k] as ProcessMemory,
  }));
  const secretsFigures = (before: ProcessMemory, after: ProcessMemory) => ({ rssBefore: mib(before.rssKiB), rssAfter: mib(after.rssKiB), rssDelta: mib(after.rssKiB - before.rssKiB), heapUsedDelta: mib(after.heapUsedKiB - before.heapUsedKiB) });
  const byShard = <T>(figure: (k: number) => T): Record<string, T> => Object.fromEntries(shardIndexes.map((k) => [shardTitle(k), figure(k)]));
  const results = {
    benchmark: "scale",
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 2 ** 30), loadAverageAtEnd: loadavg().map((l) => round(l, 2)), node: process.version, note: "cores shared with other jobs" },
    options: { rules, sources, pipelines, ...whenSharded(() => ({ shards: shardCount, floorWorkers: workers * shardCount, floorK3Qps: (k3Qps ?? 20) * shardCount })), workers, k3Qps: k3Qps ?? "operator default (20)", applyBatch, applyParallel, resyncPeriodMs, resyncPeriods, nodeOptions: nodeArgs.join(" "), emulatorTimeScale: 0.001, countedBy: "apiserver writes: the apiserver's apiserver_request_total (server-side applies of the benchmark left out); K3 calls: the emulator's counters" },
    dependencies: {
      sourcesAllReadyMs: round(deps.sources.allReadyMs), pipelinesAllReadyMs: round(deps.pipelines.allReadyMs),
      perObject: describe(deps.activity, sources + pipelines),
    },
    create: {
      rules,
      operatorAllReadyMs: round(operatorRun.allReadyMs),
      floorAllReadyMs: round(floor.allReadyMs),
      ratio: round(operatorRun.allReadyMs / floor.allReadyMs, 2),
      applyMs: { operator: round(operatorRun.applyMs), floor: round(floor.applyMs) },
      cpuNote: "CPU ms per rule from apply to quiet: the controller's processes (/proc/<pid>/stat) and the apiserver (its process_cpu_seconds_total); the benchmark's own kubectl applies are in the apiserver's figure on both sides",
      cpuMsPerRule: {
        operator: { controller: round((operatorRun.cpu.controller * 1000) / rules, 2), apiserver: round((operatorRun.cpu.apiserver * 1000) / rules, 2) },
        floor: { controller: round((floor.cpu.controller * 1000) / rules, 2), apiserver: round((floor.cpu.apiserver * 1000) / rules, 2) },
      },
      operator: describe(operatorRun.activity, rules),
      floor: describe(floor.activity, rules),
    },
    ...whenSharded(() => ({
      shards: {
        count: shardCount,
        assignment: `shard 0 is the default shard (no --shard, objects unlabelled), shard k runs with --shard shard-k and its objects carry ${shardLabel}=shard-k; source j → shard j mod N, pipeline p → p mod N, rule i → i mod N (its source i mod S, its pipeline ((i div S)·N + i mod N) mod P)`,
        exactlyOnce: once,
      },
    })),
    memoryNote: "MiB; rss and peak (VmHWM) from /proc; heap and external from the operator's /metrics" +
      (shardCount > 1 ? `; memory is the sum over the ${shardCount} operator processes (peak and maxima: the sum of each process's own), memoryByShard each one` : ""),
    memory: memorySection(sumTracks(memoryTracks)),
    ...whenSharded(() => ({ memoryByShard: byShard((k) => memorySection(memoryTracks[k] as MemoryTrack)) })),
    unrelatedSecrets: secrets ? {
      count: secrets.count, ofOneMiB: secrets.largeCount, applyMs: round(secrets.applyMs), ...secretsFigures(sumFields(secrets.before), sumFields(secrets.after)),
      ...whenSharded(() => ({ byShard: byShard((k) => secretsFigures(secrets.before[k] as ProcessMemory, secrets.after[k] as ProcessMemory)) })),
    } : undefined,
    restart: {
      objects: managedObjects, readyzMs: round(later.readyzMs), firstReconcileMs: round(later.firstReconcileMs), quietMs: round(later.quietMs), workersStartedMs: later.workersStartedMs,
      ...whenSharded(() => ({ firstReconcileMsByShard: byShard((k) => round(later.firstReconcileMsByShard[k] ?? Number.NaN)) })),
      writes: total(later.restart.writes), ...describe(later.restart, managedObjects),
    },
    idle: {
      objects: managedObjects, periodMs: resyncPeriodMs, periods: resyncPeriods,
      writes: total(later.idle.writes), mutatingCalls: mutating(later.idle.calls),
      readsPerObjectPerPeriod: round(reads(later.idle.calls) / ((managedObjects) * resyncPeriods), 3),
      pollsOfRunsAndJobs: Object.fromEntries(runPolls.map((rpc) => [rpc, later.idle.calls[rpc] ?? 0])),
      ...describe(later.idle, (managedObjects) * resyncPeriods),
    },
    operator: {
      exitCodes: [...later.firstExits, ...later.secondExits], log: mergeLogSummaries(logSummaries),
      ...whenSharded(() => ({ byShard: byShard((k) => ({ exitCodes: [later.firstExits[k], later.secondExits[k]], log: logSummaries[k] })) })),
    },
    totalSeconds: round((Date.now() - started) / 1000),
  };
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  await writeFile(opts.out.replace(/\.json$/, "") + ".md", md);
  console.log(`\n${md}`);
  log(`results written to ${opts.out} (and .md); total ${results.totalSeconds} s`);
  if (!once.ok) throw new Error(`not every rule was created exactly once: the emulator saw ${once.createRuleCalls} CreateRule for ${rules} rules; per shard ${JSON.stringify(once.byShard)}`);
}

/** The memory of several processes summed, measure by measure (of one process: its own). */
function sumTracks(tracks: readonly MemoryTrack[]): MemoryTrack {
  const pick = <K extends keyof MemoryTrack>(key: K): MemoryTrack[K][] => tracks.map((t) => t[key]);
  return {
    beforeRules: sumFields(pick("beforeRules")), allRulesReady: sumFields(pick("allRulesReady")), duringRules: sumFields(pick("duringRules")),
    settled: sumFields(pick("settled")), afterRestart: sumFields(pick("afterRestart")), afterIdleWindow: sumFields(pick("afterIdleWindow")),
  };
}

/** The log summaries of several processes as one (of one process: its own). */
function mergeLogSummaries(summaries: readonly LogSummary[]): LogSummary {
  const merged: LogSummary = { warnings: 0, errors: 0, byMessage: {}, examples: [] };
  for (const s of summaries) {
    merged.warnings += s.warnings;
    merged.errors += s.errors;
    for (const [msg, n] of Object.entries(s.byMessage)) merged.byMessage[msg] = (merged.byMessage[msg] ?? 0) + n;
    merged.examples.push(...s.examples);
  }
  merged.examples = merged.examples.slice(0, 5);
  return merged;
}

type Results = {
  create: { rules: number; operatorAllReadyMs: number; floorAllReadyMs: number; ratio: number; cpuMsPerRule: Record<"operator" | "floor", { controller: number; apiserver: number }>; operator: ReturnType<typeof describe>; floor: ReturnType<typeof describe> };
  dependencies: { sourcesAllReadyMs: number; pipelinesAllReadyMs: number; perObject: ReturnType<typeof describe> };
  memory: Record<string, Record<string, number>>;
  /** only with more than one shard */
  shards?: { count: number; exactlyOnce: ReturnType<typeof exactlyOnce> };
  memoryByShard?: Record<string, Record<string, Record<string, number>>>;
  unrelatedSecrets?: { count: number; ofOneMiB: number; rssBefore: number; rssAfter: number; rssDelta: number; heapUsedDelta: number; byShard?: Record<string, { rssDelta: number }> };
  restart: { objects: number; readyzMs: number; firstReconcileMs: number; quietMs: number; workersStartedMs: Record<string, number>; writes: number; firstReconcileMsByShard?: Record<string, number> } & ReturnType<typeof describe>;
  idle: { objects: number; periodMs: number; periods: number; writes: number; mutatingCalls: number; readsPerObjectPerPeriod: number; pollsOfRunsAndJobs: Record<string, number> };
  options: { k3Qps: number | string; workers: number; nodeOptions: string; shards?: number; floorWorkers?: number; floorK3Qps?: number };
  machine: { loadAverageAtEnd: number[] };
  commit: string;
  date: string;
  operator: { log: { warnings: number; errors: number } };
};

const seconds = (ms: number): string => `${round(ms / 1000, 1)} s`;
const keyValues = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ") || "none";

/** The rows only a run with several shards has: who created what, and each process's memory. */
function shardRows(r: Results): { exactlyOnce: [string, string][]; memory: [string, string][] } {
  if (!r.shards) return { exactlyOnce: [], memory: [] };
  const once = r.shards.exactlyOnce;
  return {
    exactlyOnce: [
      [`${r.shards.count} shards: rules / CreateRule (each process's own count) / reconciles by controller`, Object.entries(once.byShard).map(([t, x]) => `${t}: ${x.rules} / ${x.createRuleCalls} / ${keyValues(x.reconciles)}`).join("; ")],
      ["… each rule created once: CreateRule seen by the emulator / rules", `${once.createRuleCalls} / ${once.rules}${once.ok ? "" : " (MISMATCH)"}`],
    ],
    memory: Object.entries(r.memoryByShard ?? {}).map(([title, mm]): [string, string] => [
      `… ${title}: RSS before / all Ready / peak / settled; heap used before / max / settled; after restart RSS / heap used`,
      `${mm["beforeRules"]?.["rss"]} / ${mm["allRulesReady"]?.["rss"]} / ${mm["allRulesReady"]?.["peak"]} / ${mm["settled"]?.["rss"]} MiB; ${mm["beforeRules"]?.["heapUsed"]} / ${mm["duringRules"]?.["maxHeapUsed"]} / ${mm["settled"]?.["heapUsed"]} MiB; ${mm["afterRestart"]?.["rss"]} / ${mm["afterRestart"]?.["heapUsed"]} MiB`,
    ]),
  };
}

function secretsRows(r: Results, sum: string): [string, string][] {
  const u = r.unrelatedSecrets;
  if (!u) return [];
  const perShard = u.byShard ? `; per process ${Object.entries(u.byShard).map(([t, x]) => `${t} ${x.rssDelta} MiB`).join(", ")}` : "";
  return [[`${u.count} unrelated Secrets (${u.ofOneMiB} of 1 MiB): RSS delta${sum}`, `${u.rssDelta} MiB (${u.rssBefore} → ${u.rssAfter}); heap used delta ${u.heapUsedDelta} MiB${perShard}`]];
}

function restartRow(r: Results): [string, string] {
  const s = seconds;
  if (!r.restart.firstReconcileMsByShard) return [`restart (${r.restart.objects} objects): /readyz, first reconcile, quiet`, `${s(r.restart.readyzMs)}, ${s(r.restart.firstReconcileMs)}, ${s(r.restart.quietMs)}`];
  const each = Object.entries(r.restart.firstReconcileMsByShard).map(([t, ms]) => `${t} ${s(ms)}`).join(", ");
  return [`restart (${r.restart.objects} objects): /readyz of all, first reconcile of any (each), quiet of all`, `${s(r.restart.readyzMs)}, ${s(r.restart.firstReconcileMs)} (${each}), ${s(r.restart.quietMs)}`];
}

function markdown(r: Results): string {
  const s = seconds;
  const kv = keyValues;
  const m = r.memory;
  const sharded = shardRows(r);
  const sum = r.shards ? ` (sum of ${r.shards.count} processes)` : "";
  const rows: [string, string][] = [
    [`${r.create.rules} K3IngestRules: apply → all Ready (operator)`, s(r.create.operatorAllReadyMs)],
    ["… the floor, same run (finalizer + 1 CreateRule + 1 status write each)", s(r.create.floorAllReadyMs)],
    ["… ratio operator / floor", `${r.create.ratio}×`],
    [`CPU per rule, apply to quiet: controller${sum} / apiserver`, `operator ${r.create.cpuMsPerRule.operator.controller} / ${r.create.cpuMsPerRule.operator.apiserver} ms; floor ${r.create.cpuMsPerRule.floor.controller} / ${r.create.cpuMsPerRule.floor.apiserver} ms`],
    ["create: K3 calls per rule", `${r.create.operator.callsPerObject} (${kv(r.create.operator.callsByRpc)})`],
    ["create: apiserver writes per rule", `${r.create.operator.writesPerObject} (${kv(r.create.operator.writesByTargetVerb)})`],
    ["create: reconciles per rule", String(r.create.operator.reconcilesPerObject)],
    ...sharded.exactlyOnce,
    ["floor: K3 calls / writes per rule", `${r.create.floor.callsPerObject} / ${r.create.floor.writesPerObject}`],
    ["sources / pipelines first: all Ready", `${s(r.dependencies.sourcesAllReadyMs)} / ${s(r.dependencies.pipelinesAllReadyMs)}; per object ${r.dependencies.perObject.callsPerObject} K3 calls (${kv(r.dependencies.perObject.callsByRpc)}), ${r.dependencies.perObject.writesPerObject} writes`],
    [`operator RSS${sum}: before rules / all Ready / peak (VmHWM) / settled`, `${m["beforeRules"]?.["rss"]} / ${m["allRulesReady"]?.["rss"]} / ${m["allRulesReady"]?.["peak"]} / ${m["settled"]?.["rss"]} MiB`],
    [`operator JS heap used${sum}: before / max during / settled; external max`, `${m["beforeRules"]?.["heapUsed"]} / ${m["duringRules"]?.["maxHeapUsed"]} / ${m["settled"]?.["heapUsed"]} MiB; ${m["duringRules"]?.["maxExternal"]} MiB`],
    [`after restart: RSS / heap used${sum}`, `${m["afterRestart"]?.["rss"]} / ${m["afterRestart"]?.["heapUsed"]} MiB`],
    ...sharded.memory,
    ...secretsRows(r, sum),
    restartRow(r),
    ["restart: each controller's workers started (its own caches synced), from process start", Object.entries(r.restart.workersStartedMs).map(([c, ms]) => `${c} ${s(ms)}`).join(", ") || "none logged"],
    ["restart: apiserver writes; K3 calls per object", `${r.restart.writes}; ${r.restart.callsPerObject} (${kv(r.restart.callsByRpc)})`],
    [`idle ${r.idle.periods} × ${s(r.idle.periodMs)}: apiserver writes, mutating K3 calls`, `${r.idle.writes}, ${r.idle.mutatingCalls}`],
    ["idle: K3 reads per object per period", String(r.idle.readsPerObjectPerPeriod)],
    ["idle: polls of runs and jobs", kv(r.idle.pollsOfRunsAndJobs)],
    [`operator log${r.shards ? "s" : ""}: warnings / errors`, `${r.operator.log.warnings} / ${r.operator.log.errors}`],
  ];
  const shardNote = r.shards ? `; ${r.shards.count} shards, one operator process each (budget and workers per process; the floor at ${r.options.floorWorkers} workers and ${r.options.floorK3Qps} calls/s)` : "";
  return [
    `Scale benchmark, commit ${r.commit}, ${r.date}; K3 budget ${r.options.k3Qps} calls/s, ${r.options.workers} workers${r.options.nodeOptions ? `, node ${r.options.nodeOptions}` : ""}${shardNote}; load average at the end ${r.machine.loadAverageAtEnd.join(" ")}`,
    "",
    "| | |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
  ].join("\n");
}

try {
  await main();
} catch (err) {
  console.error("benchmark failed:", err);
  process.exitCode = 1;
} finally {
  await cleanups.runAll();
}
