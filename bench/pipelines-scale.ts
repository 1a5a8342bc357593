// K3Pipeline scale benchmark: a real apiserver, the emulator and the operator as a child
// process; measures apply → Ready latency, time for N pipelines to be Ready, the operator's
// memory, and the apiserver writes and K3 calls per pipeline on create, on restart and per
// idle resync. Prints a table and writes the figures as JSON.
//
//   npm run bench:pipelines [-- --count 500 --latency-samples 20 --workers 4 --concurrency 20
//                              --k3-qps 20 --resync-period 60s --resync-periods 2 --out FILE --tsx --log-level debug]
// The operator runs compiled (as its image runs it) unless --tsx runs src/main.ts directly.
import { benchTeardown, log } from "./support/teardown.js";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { K3Pipeline } from "../src/api/gen/index.js";
import { apiVersion } from "../src/api/keys.js";
import { parseDuration } from "../src/config.js";
import type { ControlPlane } from "../src/controlplane/control-plane.js";
import { K3Resources } from "../src/controllers/resources.js";
import { isMutatingRpc, type EmulatorHandle } from "../src/emulator/index.js";
import { keyOf, type KubeClient, type ResourceType } from "../src/runtime/index.js";
import { readApiserverWrites, splitWrites, type WriteCounts, type WriteSplit } from "./support/apiserver-writes.js";
import { buildOperator, startOperatorProcess, summarizeLog, type LogSummary, type OperatorProcess, type ProcessMemory } from "./support/operator-process.js";
import { countersBetween, sumBy, sumOf, type Sample } from "./support/prometheus-text.js";
import { ReadyTracker } from "./support/ready-tracker.js";
import { startBenchServices } from "./support/bench-services.js";
import { gitCommit } from "./support/git-commit.js";

const { values: opts } = parseArgs({
  options: {
    count: { type: "string", default: "500" },
    "latency-samples": { type: "string", default: "20" },
    workers: { type: "string", default: "4" },
    concurrency: { type: "string", default: "20" },
    "k3-qps": { type: "string" },
    "resync-period": { type: "string" },
    "resync-periods": { type: "string", default: "2" },
    timeout: { type: "string", default: "15m" },
    tsx: { type: "boolean", default: false },
    "log-level": { type: "string", default: "info" },
    out: { type: "string", default: fileURLToPath(new URL("results/pipelines-scale.json", import.meta.url)) },
  },
});
const count = Number(opts.count);
const latencySamples = Number(opts["latency-samples"]);
const workers = Number(opts.workers);
const concurrency = Number(opts.concurrency);
const k3Qps = opts["k3-qps"] === undefined ? undefined : Number(opts["k3-qps"]);
const resyncPeriods = Number(opts["resync-periods"]);
const timeoutMs = parseDuration(opts.timeout);
/** every pipeline the benchmark creates: N, the latency samples and the first (cold) apply */
const totalPipelines = count + latencySamples + 1;
// The operator's default K3 budget is 20 calls/s; an idle resync of every pipeline must fit
// well inside one period or the "idle" window would measure a queue that never drains.
const effectiveQps = k3Qps ?? 20;
const resyncPeriodMs = opts["resync-period"] !== undefined
  ? parseDuration(opts["resync-period"])
  : Math.max(10_000, effectiveQps > 0 ? Math.ceil((3 * totalPipelines) / effectiveQps) * 1000 : 0);

const latencyNamespace = "bench-latency";
const scaleNamespace = "bench-scale";
const namespaceType: ResourceType = { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false };

/** Teardown steps, run in reverse order once, on success, failure or a signal. */
const cleanups = benchTeardown("bench:pipelines");

function pipelineManifest(namespace: string, name: string): K3Pipeline {
  return {
    apiVersion,
    kind: "K3Pipeline",
    metadata: { name, namespace },
    spec: {
      template: { name: "document-chunker" },
      parameters: { chunkSize: 512, overlap: 64 },
      destinations: [{ name: "main-index", type: "VectorStore", config: { collection: "bench" } }],
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function perUnit(counts: Record<string, number>, divisor: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / divisor, 3)]));
}

const mib = (kib: number): number => round(kib / 1024);

function memoryFigures(m: ProcessMemory): { rss: number; peak: number; heapUsed: number; heapTotal: number } {
  return { rss: mib(m.rssKiB), peak: mib(m.peakKiB), heapUsed: mib(m.heapUsedKiB), heapTotal: mib(m.heapTotalKiB) };
}

/** What the operator did between two snapshots: apiserver writes, K3 calls, reconciles. */
interface Activity {
  apiserverWrites: WriteSplit & { raw: WriteCounts };
  serviceCalls: { byRpc: Record<string, number>; total: number; mutating: number };
  reconciles: { total: number; byResult: Record<string, number> };
  externalByCode: Record<string, number>;
}

interface Snapshot {
  writes: WriteCounts;
  operator: Sample[];
}

function readWrites(plane: ControlPlane): Promise<WriteCounts> {
  return readApiserverWrites({ kubeconfigPath: plane.kubeconfigPath, resources: ["k3pipelines", "events"] });
}

async function snapshot(b: Bench): Promise<Snapshot> {
  const [writes, metrics] = await Promise.all([readWrites(b.plane), b.operator.metrics()]);
  return { writes, operator: metrics };
}

/**
 * What happened since `before`: apiserver writes (minus the benchmark's own `ownCreates`),
 * reconciles, and the emulator's counters as they are (reset them when `before` is taken).
 */
async function activitySince(b: Bench, options: { before: Snapshot; ownCreates: number }): Promise<Activity> {
  const after = await snapshot(b);
  const raw = countersBetween(options.before.writes, after.writes);
  const between = (name: string, label: string): Record<string, number> =>
    countersBetween(sumBy(options.before.operator, name, label), sumBy(after.operator, name, label));
  const byResult = between("k3_reconcile_total", "result");
  const byRpc = b.emulator.calls.snapshot();
  return {
    apiserverWrites: { ...splitWrites(raw, options.ownCreates), raw },
    serviceCalls: {
      byRpc,
      total: Object.values(byRpc).reduce((a, b) => a + b, 0),
      mutating: Object.entries(byRpc).filter(([rpc]) => isMutatingRpc(rpc)).reduce((a, [, n]) => a + n, 0),
    },
    reconciles: { total: Object.values(byResult).reduce((a, b) => a + b, 0), byResult },
    externalByCode: between("k3_external_requests_total", "code"),
  };
}

/**
 * Resolves once the operator reconciled at least `minReconciles` times in all and then nothing
 * for `quietMs`, with the `performance.now()` at which the count last changed (±100 ms).
 */
async function waitQuiet(operator: OperatorProcess, options: { minReconciles: number; quietMs: number; timeoutMs: number }): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let last = -1;
  let since = performance.now();
  while (Date.now() < deadline) {
    const metrics = await operator.metrics();
    const total = sumOf(metrics, "k3_reconcile_total");
    const depth = sumOf(metrics, "k3_workqueue_depth");
    if (total !== last || depth > 0) {
      last = total;
      since = performance.now();
    } else if (total >= options.minReconciles && performance.now() - since >= options.quietMs) {
      return since;
    }
    await sleep(100);
  }
  throw new Error(`the operator did not settle within ${options.timeoutMs} ms (reconciles so far: ${last})`);
}

async function createAll(kube: KubeClient, keys: readonly { namespace: string; name: string }[], inFlight: number): Promise<Map<string, number>> {
  const started = new Map<string, number>();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < keys.length) {
      const ref = keys[next++] as { namespace: string; name: string };
      started.set(keyOf(ref.namespace, ref.name), performance.now());
      await kube.create(K3Resources.K3Pipeline, pipelineManifest(ref.namespace, ref.name));
    }
  }));
  return started;
}

/** Everything the phases share. */
interface Bench {
  plane: ControlPlane;
  emulator: EmulatorHandle;
  kube: KubeClient;
  tracker: ReadyTracker;
  /** the running operator; replaced on restart */
  operator: OperatorProcess;
  startOperator(resyncPeriod: string): Promise<OperatorProcess>;
  logFile: string;
}

/** Control plane, emulator, CRDs, namespaces, the Ready watch and the operator (long resync period). */
async function setUp(): Promise<Bench> {
  const scratch = await mkdtemp(join(tmpdir(), "k3-bench-"));
  const logFile = join(scratch, "operator.log");
  log(`scratch folder (operator log): ${scratch}`);
  const compiledMain = opts.tsx ? undefined : await buildOperator();
  log(compiledMain ? `operator compiled to ${compiledMain}` : "operator runs src/main.ts with the tsx loader");
  const { plane, emulator, kube, tokenFile } = await startBenchServices(cleanups, scratch);
  for (const name of [latencyNamespace, scaleNamespace]) {
    await kube.create(namespaceType, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
  const tracker = new ReadyTracker({ kube, namespaces: [latencyNamespace, scaleNamespace] });
  await tracker.start();
  cleanups.add("watch", () => tracker.stop());

  const startOperator = (resyncPeriod: string): Promise<OperatorProcess> =>
    startOperatorProcess({ compiledMain, kubeconfigPath: plane.kubeconfigPath, k3Endpoint: emulator.address, k3TokenFile: tokenFile, workers, k3Qps, logFile, resyncPeriod, logLevel: opts["log-level"] });
  const bench: Bench = { plane, emulator, kube, tracker, operator: await startOperator("10m"), startOperator, logFile };
  cleanups.add("operator", () => bench.operator.stop());
  log(`operator pid ${bench.operator.pid} ready`);
  return bench;
}

/** One apply → Ready measurement: the whole, and the part the apiserver took to accept the create. */
interface LatencySample {
  totalMs: number;
  createCallMs: number;
}

async function applyAndWait(b: Bench, name: string): Promise<LatencySample> {
  const t0 = performance.now();
  await b.kube.create(K3Resources.K3Pipeline, pipelineManifest(latencyNamespace, name));
  const createCallMs = performance.now() - t0;
  await b.tracker.waitReady([keyOf(latencyNamespace, name)], 60_000);
  return { totalMs: (b.tracker.readyTime(latencyNamespace, name) as number) - t0, createCallMs };
}

/**
 * 1. apply → Ready, one pipeline at a time, on an otherwise idle operator. The first apply
 * is reported apart: on a fresh apiserver its create call alone sometimes takes about 2 s
 * (the first write of a just-established CRD), which says nothing about the operator.
 */
async function measureLatency(b: Bench): Promise<{ cold: LatencySample; samples: LatencySample[] }> {
  const cold = await applyAndWait(b, "latency-cold");
  const samples: LatencySample[] = [];
  for (let i = 0; i < latencySamples; i++) samples.push(await applyAndWait(b, `latency-${i}`));
  await waitQuiet(b.operator, { minReconciles: 0, quietMs: 3_000, timeoutMs: 60_000 });
  return { cold, samples };
}

/** 2.–4. N pipelines created `concurrency` at a time: time to all Ready, memory, writes and calls. */
async function measureScale(b: Bench) {
  const idleMemory = await b.operator.memory();
  const before = await snapshot(b);
  b.emulator.resetCounters();
  const refs = Array.from({ length: count }, (_, i) => ({ namespace: scaleNamespace, name: `pipeline-${String(i).padStart(4, "0")}` }));
  const t0 = performance.now();
  let lastProgress = -1;
  const progress = setInterval(() => {
    if (b.tracker.readyCount !== lastProgress) log(`ready: ${b.tracker.readyCount - latencySamples - 1}/${count}`);
    lastProgress = b.tracker.readyCount;
  }, 10_000);
  let createStarts: Map<string, number>;
  let createsAcceptedMs: number;
  try {
    createStarts = await createAll(b.kube, refs, concurrency);
    createsAcceptedMs = performance.now() - t0;
    log(`${count} creates accepted in ${round(createsAcceptedMs)} ms`);
    await b.tracker.waitReady([...createStarts.keys()], timeoutMs).catch((err: unknown) => {
      console.error(JSON.stringify(b.tracker.notReady().slice(0, 5), null, 2));
      throw err;
    });
  } finally {
    clearInterval(progress);
  }
  const readyTimes = refs.map((r) => b.tracker.readyTime(r.namespace, r.name) as number);
  const allReadyMs = Math.max(...readyTimes) - t0;
  const allReadyMemory = await b.operator.memory();
  const eachMs = refs.map((r, i) => (readyTimes[i] as number) - (createStarts.get(keyOf(r.namespace, r.name)) as number)).sort((x, y) => x - y);
  log(`all ${count} Ready after ${round(allReadyMs)} ms`);
  // Writes that trail the last Ready (its event) belong to the create phase.
  await waitQuiet(b.operator, { minReconciles: 0, quietMs: 3_000, timeoutMs: 120_000 });
  const activity = await activitySince(b, { before, ownCreates: count });
  return { createsAcceptedMs, allReadyMs, eachMs, idleMemory, allReadyMemory, settledMemory: await b.operator.memory(), activity };
}

/** 5. Restart with a short resync period: the cost of the restart, then of idle resyncs over a window. */
async function measureRestartAndIdle(b: Bench) {
  const firstExit = await b.operator.stop();
  log(`operator stopped (exit ${firstExit}); restarting with --resync-period ${resyncPeriodMs / 1000}s`);
  b.emulator.resetCounters();
  const before: Snapshot = { writes: await readWrites(b.plane), operator: [] };
  const t0 = performance.now();
  b.operator = await b.startOperator(`${resyncPeriodMs / 1000}s`);
  const readyzMs = performance.now() - t0;
  const allReconciledMs = (await waitQuiet(b.operator, { minReconciles: totalPipelines, quietMs: 2_000, timeoutMs })) - t0;
  const restart = await activitySince(b, { before, ownCreates: 0 });
  const restartMemory = await b.operator.memory();
  log(`restart: ${restart.reconciles.total} reconciles in ${round(allReconciledMs)} ms; idle window of ${resyncPeriods} period(s) starts`);

  b.emulator.resetCounters();
  const idleBefore = await snapshot(b);
  await sleep(resyncPeriods * resyncPeriodMs); // a measurement window, not a wait for a condition
  const idle = await activitySince(b, { before: idleBefore, ownCreates: 0 });
  const idleMemory = await b.operator.memory();
  const secondExit = await b.operator.stop();
  return { firstExit, secondExit, readyzMs, allReconciledMs, restart, restartMemory, idle, idleMemory };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`pipelines ${count} (+${latencySamples + 1} latency samples), workers ${workers}, ${concurrency} creates in flight, ` +
    `K3 qps ${k3Qps ?? "operator default (20)"}, idle resync period ${resyncPeriodMs / 1000} s × ${resyncPeriods}`);
  const b = await setUp();
  const latencies = await measureLatency(b);
  log(`latency: first ${round(latencies.cold.totalMs)} ms, then ${latencies.samples.map((l) => round(l.totalMs)).join(", ")} ms`);
  const scale = await measureScale(b);
  const later = await measureRestartAndIdle(b);
  const results = buildResults({ latencies, scale, later, log: await summarizeLog(b.logFile) });
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  log(`results written to ${opts.out}; total ${round((Date.now() - started) / 1000)} s`);
}

function buildResults(m: { latencies: Awaited<ReturnType<typeof measureLatency>>; scale: Awaited<ReturnType<typeof measureScale>>; later: Awaited<ReturnType<typeof measureRestartAndIdle>>; log: LogSummary }) {
  const sorted = m.latencies.samples.map((l) => l.totalMs).sort((a, b) => a - b);
  const { scale, later } = m;
  const createSeconds = scale.allReadyMs / 1000;
  return {
    benchmark: "pipelines-scale",
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 2 ** 30), loadAverageAtEnd: loadavg().map((l) => round(l, 2)), node: process.version, note: "cores shared with other jobs" },
    options: { operator: opts.tsx ? "src/main.ts with the tsx loader" : "compiled (node main.js, as in the image)", count, latencySamples, workers, concurrency, k3Qps: k3Qps ?? "operator default (20)", resyncPeriodMs, resyncPeriods, emulatorTimeScale: 0.001 },
    latency: {
      samples: latencySamples,
      medianMs: round(percentile(sorted, 0.5)),
      p90Ms: round(percentile(sorted, 0.9)),
      minMs: round(sorted[0] ?? Number.NaN),
      maxMs: round(sorted.at(-1) ?? Number.NaN),
      valuesMs: m.latencies.samples.map((l) => round(l.totalMs)),
      createCallMs: m.latencies.samples.map((l) => round(l.createCallMs)),
      firstAfterStart: { totalMs: round(m.latencies.cold.totalMs), createCallMs: round(m.latencies.cold.createCallMs) },
    },
    scale: {
      count,
      createsAcceptedMs: round(scale.createsAcceptedMs),
      allReadyMs: round(scale.allReadyMs),
      readyPerSecond: round(count / createSeconds, 2),
      perPipelineCreateToReadyMs: { p50: round(percentile(scale.eachMs, 0.5)), p90: round(percentile(scale.eachMs, 0.9)), max: round(scale.eachMs.at(-1) ?? Number.NaN) },
      reconcilesPerSecond: round(scale.activity.reconciles.total / createSeconds, 1),
    },
    memory: {
      note: "MiB; rss and peak (VmHWM) from /proc; heapUsed/heapTotal from V8 (used includes garbage not yet collected; total is what V8 reserved)",
      pipelinesPresent: totalPipelines,
      beforeCreates: memoryFigures(scale.idleMemory),
      allReady: memoryFigures(scale.allReadyMemory),
      settled: memoryFigures(scale.settledMemory),
      afterRestart: memoryFigures(later.restartMemory),
      afterIdleWindow: memoryFigures(later.idleMemory),
    },
    create: describe(scale.activity, count),
    restart: { pipelines: totalPipelines, readyzMs: round(later.readyzMs), allReconciledMs: round(later.allReconciledMs), ...describe(later.restart, totalPipelines) },
    idleResync: {
      pipelines: totalPipelines,
      periodMs: resyncPeriodMs,
      windowMs: resyncPeriods * resyncPeriodMs,
      note: "per-pipeline figures are per pipeline per resync period (window / period)",
      ...describe(later.idle, totalPipelines * resyncPeriods),
    },
    operator: { exitCodes: [later.firstExit, later.secondExit], log: m.log },
  };
}

function describe(activity: Activity, divisor: number) {
  const w = activity.apiserverWrites;
  return {
    apiserverWrites: {
      total: w.total,
      perPipeline: round(w.total / divisor, 3),
      statusPatchesPerPipeline: round(w.statusPatches / divisor, 3),
      finalizerPatchesPerPipeline: round(w.finalizerPatches / divisor, 3),
      eventCreatesPerPipeline: round(w.eventCreates / divisor, 3),
      eventPatchesPerPipeline: round(w.eventPatches / divisor, 3),
      conflicts: w.conflicts,
      other: w.other,
      byTargetVerbCode: w.raw,
    },
    serviceCalls: {
      total: activity.serviceCalls.total,
      perPipeline: round(activity.serviceCalls.total / divisor, 3),
      mutatingPerPipeline: round(activity.serviceCalls.mutating / divisor, 3),
      byRpcPerPipeline: perUnit(activity.serviceCalls.byRpc, divisor),
      byRpc: activity.serviceCalls.byRpc,
      operatorSeenByCode: activity.externalByCode,
    },
    reconciles: { total: activity.reconciles.total, perPipeline: round(activity.reconciles.total / divisor, 3), byResult: activity.reconciles.byResult },
  };
}

type Results = ReturnType<typeof buildResults>;
type Described = ReturnType<typeof describe>;

function printTable(r: Results): void {
  const rpcs = (calls: Record<string, number>): string => Object.entries(calls).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const writes = (d: Described): string =>
    `${d.apiserverWrites.perPipeline} (status ${d.apiserverWrites.statusPatchesPerPipeline}, finalizer ${d.apiserverWrites.finalizerPatchesPerPipeline}, ` +
    `event ${d.apiserverWrites.eventCreatesPerPipeline} + ${d.apiserverWrites.eventPatchesPerPipeline} patches; ${d.apiserverWrites.conflicts} conflicts)`;
  const s = (ms: number): string => `${round(ms / 1000, 2)} s`;
  const rows: [string, string][] = [
    [`apply → Ready, one pipeline (${r.latency.samples} samples)`, `median ${r.latency.medianMs} ms, p90 ${r.latency.p90Ms} ms`],
    ["apply → Ready, first pipeline after the operator started", `${r.latency.firstAfterStart.totalMs} ms (create call ${r.latency.firstAfterStart.createCallMs} ms)`],
    [`${r.scale.count} pipelines: first create → all Ready`, `${s(r.scale.allReadyMs)} (${r.scale.readyPerSecond} Ready/s; each p50 ${s(r.scale.perPipelineCreateToReadyMs.p50)}, p90 ${s(r.scale.perPipelineCreateToReadyMs.p90)})`],
    ["reconciles/s during the create phase", String(r.scale.reconcilesPerSecond)],
    ["operator RSS before / all Ready / peak (VmHWM)", `${r.memory.beforeCreates.rss} / ${r.memory.allReady.rss} / ${r.memory.allReady.peak} MiB`],
    ["operator JS heap used before / all Ready", `${r.memory.beforeCreates.heapUsed} / ${r.memory.allReady.heapUsed} MiB`],
    ["create: apiserver writes per pipeline", writes(r.create)],
    ["create: K3 calls per pipeline", `${r.create.serviceCalls.perPipeline} (${rpcs(r.create.serviceCalls.byRpcPerPipeline)})`],
    ["create: reconciles per pipeline", String(r.create.reconciles.perPipeline)],
    [`restart (${r.restart.pipelines} pipelines): all reconciled`, `${s(r.restart.allReconciledMs)}; RSS after ${r.memory.afterRestart.rss} MiB, heap used ${r.memory.afterRestart.heapUsed} MiB`],
    ["restart: apiserver writes per pipeline", writes(r.restart)],
    ["restart: K3 calls per pipeline", `${r.restart.serviceCalls.perPipeline} (${rpcs(r.restart.serviceCalls.byRpcPerPipeline)})`],
    [`idle resync every ${r.idleResync.periodMs / 1000} s: apiserver writes per pipeline per period`, writes(r.idleResync)],
    ["idle resync: K3 calls per pipeline per period", `${r.idleResync.serviceCalls.perPipeline} (${rpcs(r.idleResync.serviceCalls.byRpcPerPipeline)}; mutating ${r.idleResync.serviceCalls.mutatingPerPipeline})`],
    ["idle resync: reconciles per pipeline per period", String(r.idleResync.reconciles.perPipeline)],
    ["operator log: warnings / errors", `${r.operator.log.warnings} / ${r.operator.log.errors}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log("");
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

try {
  await main();
} catch (err) {
  console.error("benchmark failed:", err);
  process.exitCode = 1;
} finally {
  await cleanups.runAll();
}
