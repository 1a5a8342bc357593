// Scale benchmark of K3IngestRules: a real apiserver, the emulator in-process and the compiled
// operator as a child process. N rules over S sources and P pipelines, applied with kubectl
// server-side apply in batches; measures time to all Ready against the floor (a minimal
// controller doing only the unavoidable calls, same run, same workers and K3 budget), calls and
// writes per object, the operator's memory, a restart and an idle window of resync periods.
// Writes JSON and a markdown table under bench/results/.
//
//   npm run bench:scale [-- --rules 1000 --sources 100 --pipelines 100 --workers 4 --k3-qps 20
//                         --apply-batch 100 --apply-parallel 4 --resync-period 60s --resync-periods 3
//                         --unrelated-secrets 0 --node-options="--max-old-space-size=128" --out FILE]
import { benchTeardown, log } from "./support/teardown.js";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { apiVersion } from "../src/api/keys.js";
import { parseDuration } from "../src/config.js";
import { kubectlPath } from "../src/controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../src/controlplane/control-plane.js";
import { runCommand } from "../src/controlplane/exec.js";
import { onParentExit } from "../src/controlplane/processes.js";
import { K3Resources } from "../src/controllers/resources.js";
import { isMutatingRpc, startEmulator, type EmulatorHandle } from "../src/emulator/index.js";
import { createKubeClient, type KubeClient, type ResourceType } from "../src/runtime/index.js";
import { readApiserverWrites, type WriteCounts } from "./support/apiserver-writes.js";
import type { FloorConfig } from "./support/floor.js";
import { buildOperator, startOperatorProcess, summarizeLog, type OperatorProcess, type ProcessMemory } from "./support/operator-process.js";
import { countersBetween, sumBy, sumOf, type Sample } from "./support/prometheus-text.js";
import { ReadyTracker } from "./support/ready-tracker.js";

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

function sourceManifest(namespace: string, i: number): object {
  return { apiVersion, kind: "K3Source", metadata: { name: `source-${pad(i)}`, namespace }, spec: { type: "HTTP", http: { url: `https://files.example.com/bench/${i}/` } } };
}

function pipelineManifest(namespace: string, i: number): object {
  return {
    apiVersion, kind: "K3Pipeline", metadata: { name: `pipeline-${pad(i)}`, namespace },
    spec: { template: { name: "document-chunker" }, parameters: { chunkSize: 512, overlap: 64 }, destinations: [{ name: "main-index", type: "VectorStore", config: { collection: `bench-${i}` } }] },
  };
}

function ruleManifest(namespace: string, i: number): object {
  return {
    apiVersion, kind: "K3IngestRule", metadata: { name: `rule-${pad(i)}`, namespace },
    spec: {
      sourceRef: { name: `source-${pad(i % sources)}` },
      pipelineRef: { name: `pipeline-${pad(Math.floor(i / sources) % pipelines)}` },
      trigger: { type: "OnNewObject" },
      filter: { includePaths: [`docs/${i % 7}/**`], mimeTypes: ["application/pdf", "text/markdown"] },
    },
  };
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** Everything the phases share. */
interface Bench {
  plane: ControlPlane;
  emulator: EmulatorHandle;
  kube: KubeClient;
  scratch: string;
  tokenFile: string;
  trackers: { sources: ReadyTracker; pipelines: ReadyTracker; rules: ReadyTracker };
  operator: OperatorProcess;
  startOperator(resyncPeriod: string): Promise<OperatorProcess>;
  logFile: string;
}

async function kubectl(plane: ControlPlane, args: string[], timeout = 600_000): Promise<void> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", plane.kubeconfigPath, ...args], { timeoutMs: timeout });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.slice(0, 4).join(" ")} failed: ${result.stderr.trim().slice(0, 2000)}`);
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
  const logFile = join(scratch, "operator.log");
  log(`scratch folder (operator log): ${scratch}`);
  const compiledMain = await buildOperator();
  const plane = await startControlPlane();
  cleanups.add("control plane", () => plane.stop());
  log(`control plane up in ${plane.startupMs} ms`);
  const emulator = await startEmulator({ timeScale: 0.001 });
  cleanups.add("emulator", () => emulator.stop());
  const tokenFile = join(scratch, "k3.token");
  await writeFile(tokenFile, emulator.mintToken({ tenant: "bench", ttlSeconds: 24 * 3600 }), { mode: 0o600 });
  const crds = fileURLToPath(new URL("../crds/", import.meta.url));
  await kubectl(plane, ["apply", "--server-side", "-f", crds]);
  await kubectl(plane, ["wait", "--for=condition=Established", "--timeout=60s", "-f", crds]);
  const kube = createKubeClient({ kubeconfigPath: plane.kubeconfigPath });
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
  const startOperator = (resyncPeriod: string): Promise<OperatorProcess> =>
    startOperatorProcess({
      compiledMain, kubeconfigPath: plane.kubeconfigPath, k3Endpoint: emulator.address, k3TokenFile: tokenFile, workers, k3Qps, logFile, resyncPeriod,
      logLevel: opts["log-level"], nodeArgs, extraArgs: ["--namespaces", `${ns.operator},${ns.secrets}`], readyTimeoutMs: 180_000,
    });
  const bench: Bench = { plane, emulator, kube, scratch, tokenFile, trackers, operator: await startOperator("60m"), startOperator, logFile };
  cleanups.add("operator", () => bench.operator.stop());
  log(`operator pid ${bench.operator.pid} ready`);
  return bench;
}

/** What happened between two snapshots: apiserver writes by target and verb, K3 calls by RPC, reconciles. */
interface Snapshot {
  writes: WriteCounts;
  operator: Sample[];
}

async function snapshot(b: Bench, withOperator = true): Promise<Snapshot> {
  const [writes, operator] = await Promise.all([readApiserverWrites({ kubeconfigPath: b.plane.kubeconfigPath, resources: kindsWritten }), withOperator ? b.operator.metrics() : Promise.resolve([])]);
  return { writes, operator };
}

interface Activity {
  /** `resource[/subresource] VERB` → count, the benchmark's own applies (APPLY) left out */
  writes: Record<string, number>;
  /** the benchmark's own server-side applies */
  applies: number;
  calls: Record<string, number>;
  reconciles: number;
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
  const reconciles = withOperator ? Object.values(countersBetween(sumBy(before.operator, "k3_reconcile_total", "result"), sumBy(after.operator, "k3_reconcile_total", "result"))).reduce((a, c) => a + c, 0) : 0;
  return { writes, applies, calls: b.emulator.calls.snapshot(), reconciles };
}

/**
 * Resolves once the operator reconciled at least `minReconciles` times and then did nothing for
 * `quietMs` — or, with `queueOnly`, kept its work queue empty that long (drift polls of a short
 * resync period never stop, but each is handled at once) — and returns when that began.
 */
async function waitQuiet(operator: OperatorProcess, options: { minReconciles: number; quietMs: number; timeoutMs: number; queueOnly?: boolean }): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let last = -1;
  let since = performance.now();
  while (Date.now() < deadline) {
    const metrics = await operator.metrics();
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
  throw new Error(`the operator did not settle within ${options.timeoutMs} ms (reconciles so far: ${last})`);
}

/** Samples the operator's memory every second while `work` runs; returns the largest heap figures seen. */
async function sampled<T>(b: Bench, work: Promise<T>): Promise<{ value: T; maxHeapUsedKiB: number; maxHeapTotalKiB: number; maxExternalKiB: number }> {
  let stop = false;
  const peaks = { maxHeapUsedKiB: 0, maxHeapTotalKiB: 0, maxExternalKiB: 0 };
  const sampler = (async () => {
    while (!stop) {
      const m = await b.operator.memory().catch(() => undefined);
      if (m) {
        peaks.maxHeapUsedKiB = Math.max(peaks.maxHeapUsedKiB, m.heapUsedKiB);
        peaks.maxHeapTotalKiB = Math.max(peaks.maxHeapTotalKiB, m.heapTotalKiB);
        peaks.maxExternalKiB = Math.max(peaks.maxExternalKiB, m.externalKiB);
      }
      await sleep(1_000);
    }
  })();
  try {
    return { value: await work, ...peaks };
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
  await waitQuiet(b.operator, { minReconciles: 0, quietMs: 3_000, timeoutMs: 300_000 });
  return { sources: s, pipelines: p, activity: await activitySince(b, before) };
}

/** N rules through the operator: time to all Ready, calls and writes, memory. */
async function measureRules(b: Bench) {
  const memoryBefore = await b.operator.memory();
  const before = await snapshot(b);
  b.emulator.resetCounters();
  const manifests = Array.from({ length: rules }, (_, i) => ruleManifest(ns.operator, i)) as { metadata: { namespace: string; name: string } }[];
  const run = await sampled(b, applyAndWait(b, "rules (operator)", b.trackers.rules, manifests));
  const memoryAllReady = await b.operator.memory();
  await waitQuiet(b.operator, { minReconciles: 0, quietMs: 3_000, timeoutMs: 300_000, queueOnly: true });
  return { ...run.value, peaks: run, memoryBefore, memoryAllReady, activity: await activitySince(b, before) };
}

/** The same rules brought up by the floor process in another namespace, at the same workers and budget. */
async function measureFloor(b: Bench) {
  const ids = (tracker: ReadyTracker, field: string): Record<string, string> =>
    Object.fromEntries(tracker.list().filter((o) => o.metadata?.namespace === ns.operator).map((o) => [o.metadata?.name ?? "", (o.status as Record<string, string | undefined> | undefined)?.[field] ?? ""]));
  const config: FloorConfig = {
    kubeconfigPath: b.plane.kubeconfigPath, endpoint: b.emulator.address, tokenFile: b.tokenFile, namespace: ns.floor, workers, k3Qps: k3Qps ?? 20,
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
  const manifests = Array.from({ length: rules }, (_, i) => ruleManifest(ns.floor, i)) as { metadata: { namespace: string; name: string } }[];
  const run = await applyAndWait(b, "rules (floor)", b.trackers.rules, manifests);
  await sleep(2_000);
  const activity = await activitySince(b, before, false);
  child.kill("SIGTERM");
  await exited;
  forget();
  return { ...run, activity };
}

/** M Secrets the operator does not use (every 50th of 1 MiB, like Helm release Secrets) in a namespace it watches: its RSS before and after. */
async function measureUnrelatedSecrets(b: Bench) {
  const before = await b.operator.memory();
  const t0 = performance.now();
  const manifests = Array.from({ length: unrelatedSecrets }, (_, i) => ({
    apiVersion: "v1", kind: "Secret", metadata: { name: `sh.helm.release.v1.bench-${pad(i)}.v1`, namespace: ns.secrets }, type: "helm.sh/release.v1",
    data: { release: Buffer.alloc(i % 50 === 0 ? 1024 * 1024 : 1024, i % 251).toString("base64") },
  }));
  await applyAll(b, "secrets", manifests);
  const applyMs = performance.now() - t0;
  await sleep(5_000); // the watch delivers them; the operator has nothing to reconcile
  const after = await b.operator.memory();
  return { count: unrelatedSecrets, largeCount: Math.ceil(unrelatedSecrets / 50), applyMs, before, after };
}

/** Restart with a short resync period: the time to the first reconcile and to quiet, writes and calls; then the idle window. */
async function measureRestartAndIdle(b: Bench) {
  const firstExit = await b.operator.stop();
  log(`operator stopped (exit ${firstExit}); restarting with --resync-period ${resyncPeriodMs / 1000}s`);
  b.emulator.resetCounters();
  const before: Snapshot = { writes: (await snapshot(b, false)).writes, operator: [] };
  const t0 = performance.now();
  b.operator = await b.startOperator(`${resyncPeriodMs / 1000}s`);
  const readyzMs = performance.now() - t0;
  let firstReconcileMs = Number.NaN;
  while (performance.now() - t0 < 120_000) {
    if (sumOf(await b.operator.metrics(), "k3_reconcile_total") > 0) {
      firstReconcileMs = performance.now() - t0;
      break;
    }
    await sleep(50);
  }
  const quietMs = (await waitQuiet(b.operator, { minReconciles: managedObjects, quietMs: 3_000, timeoutMs, queueOnly: true })) - t0;
  const restart = await activitySince(b, before);
  const restartMemory = await b.operator.memory();
  log(`restart: first reconcile after ${round(firstReconcileMs)} ms, quiet after ${round(quietMs / 1000, 1)} s; idle window of ${resyncPeriods} × ${resyncPeriodMs / 1000} s starts`);
  b.emulator.resetCounters();
  const idleBefore = await snapshot(b);
  const progress = setInterval(() => log(`idle window: ${JSON.stringify(b.emulator.calls.snapshot())}`), 30_000);
  await sleep(resyncPeriods * resyncPeriodMs); // a measurement window, not a wait for a condition
  clearInterval(progress);
  const idle = await activitySince(b, idleBefore);
  const idleMemory = await b.operator.memory();
  const secondExit = await b.operator.stop();
  return { firstExit, secondExit, readyzMs, firstReconcileMs, quietMs, restart, restartMemory, idle, idleMemory };
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
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`rules ${rules} over ${sources} sources and ${pipelines} pipelines; workers ${workers}; K3 qps ${k3Qps ?? "operator default (20)"}; ` +
    `apply batches of ${applyBatch}, ${applyParallel} at once; idle: ${resyncPeriods} × ${resyncPeriodMs / 1000} s${nodeArgs.length ? `; node ${nodeArgs.join(" ")}` : ""}`);
  const b = await setUp();
  // Raw figures of each finished phase, so that a run failing late still leaves them.
  const partialFile = opts.out.replace(/\.json$/, "") + ".partial.json";
  const partial: Record<string, unknown> = { commit: gitCommit(), options: { rules, sources, pipelines, workers, k3Qps, nodeOptions: nodeArgs.join(" ") } };
  const keep = async <T>(name: string, value: T): Promise<T> => {
    partial[name] = value;
    await mkdir(dirname(partialFile), { recursive: true });
    await writeFile(partialFile, `${JSON.stringify(partial, null, 2)}\n`);
    return value;
  };
  const deps = await keep("dependencies", await measureDependencies(b));
  const operatorRun = await keep("operator", await measureRules(b));
  const floor = await keep("floor", await measureFloor(b));
  const settledMemory = await keep("settledMemory", await b.operator.memory());
  const secrets = unrelatedSecrets > 0 ? await keep("secrets", await measureUnrelatedSecrets(b)) : undefined;
  const later = await measureRestartAndIdle(b);
  await rm(partialFile, { force: true });
  const logSummary = await summarizeLog(b.logFile);
  const results = {
    benchmark: "scale",
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGiB: round(totalmem() / 2 ** 30), loadAverageAtEnd: loadavg().map((l) => round(l, 2)), node: process.version, note: "cores shared with other jobs" },
    options: { rules, sources, pipelines, workers, k3Qps: k3Qps ?? "operator default (20)", applyBatch, applyParallel, resyncPeriodMs, resyncPeriods, nodeOptions: nodeArgs.join(" "), emulatorTimeScale: 0.001, countedBy: "apiserver writes: the apiserver's apiserver_request_total (server-side applies of the benchmark left out); K3 calls: the emulator's counters" },
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
      operator: describe(operatorRun.activity, rules),
      floor: describe(floor.activity, rules),
    },
    memoryNote: "MiB; rss and peak (VmHWM) from /proc; heap and external from the operator's /metrics",
    memory: {
      beforeRules: memoryFigures(operatorRun.memoryBefore),
      allRulesReady: memoryFigures(operatorRun.memoryAllReady),
      duringRules: { maxHeapUsed: mib(operatorRun.peaks.maxHeapUsedKiB), maxHeapTotal: mib(operatorRun.peaks.maxHeapTotalKiB), maxExternal: mib(operatorRun.peaks.maxExternalKiB) },
      settled: memoryFigures(settledMemory),
      afterRestart: memoryFigures(later.restartMemory),
      afterIdleWindow: memoryFigures(later.idleMemory),
    },
    unrelatedSecrets: secrets ? { count: secrets.count, ofOneMiB: secrets.largeCount, applyMs: round(secrets.applyMs), rssBefore: mib(secrets.before.rssKiB), rssAfter: mib(secrets.after.rssKiB), rssDelta: mib(secrets.after.rssKiB - secrets.before.rssKiB), heapUsedDelta: mib(secrets.after.heapUsedKiB - secrets.before.heapUsedKiB) } : undefined,
    restart: {
      objects: managedObjects, readyzMs: round(later.readyzMs), firstReconcileMs: round(later.firstReconcileMs), quietMs: round(later.quietMs),
      writes: total(later.restart.writes), ...describe(later.restart, managedObjects),
    },
    idle: {
      objects: managedObjects, periodMs: resyncPeriodMs, periods: resyncPeriods,
      writes: total(later.idle.writes), mutatingCalls: mutating(later.idle.calls),
      readsPerObjectPerPeriod: round(reads(later.idle.calls) / ((managedObjects) * resyncPeriods), 3),
      pollsOfRunsAndJobs: Object.fromEntries(runPolls.map((rpc) => [rpc, later.idle.calls[rpc] ?? 0])),
      ...describe(later.idle, (managedObjects) * resyncPeriods),
    },
    operator: { exitCodes: [later.firstExit, later.secondExit], log: logSummary },
    totalSeconds: round((Date.now() - started) / 1000),
  };
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  await writeFile(opts.out.replace(/\.json$/, "") + ".md", md);
  console.log(`\n${md}`);
  log(`results written to ${opts.out} (and .md); total ${results.totalSeconds} s`);
}

type Results = {
  create: { rules: number; operatorAllReadyMs: number; floorAllReadyMs: number; ratio: number; operator: ReturnType<typeof describe>; floor: ReturnType<typeof describe> };
  dependencies: { sourcesAllReadyMs: number; pipelinesAllReadyMs: number; perObject: ReturnType<typeof describe> };
  memory: Record<string, Record<string, number>>;
  unrelatedSecrets?: { count: number; ofOneMiB: number; rssBefore: number; rssAfter: number; rssDelta: number; heapUsedDelta: number };
  restart: { objects: number; readyzMs: number; firstReconcileMs: number; quietMs: number; writes: number } & ReturnType<typeof describe>;
  idle: { objects: number; periodMs: number; periods: number; writes: number; mutatingCalls: number; readsPerObjectPerPeriod: number; pollsOfRunsAndJobs: Record<string, number> };
  options: { k3Qps: number | string; workers: number; nodeOptions: string };
  machine: { loadAverageAtEnd: number[] };
  commit: string;
  date: string;
  operator: { log: { warnings: number; errors: number } };
};

function markdown(r: Results): string {
  const s = (ms: number): string => `${round(ms / 1000, 1)} s`;
  const kv = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const m = r.memory;
  const rows: [string, string][] = [
    [`${r.create.rules} K3IngestRules: apply → all Ready (operator)`, s(r.create.operatorAllReadyMs)],
    ["… the floor, same run (finalizer + 1 CreateRule + 1 status write each)", s(r.create.floorAllReadyMs)],
    ["… ratio operator / floor", `${r.create.ratio}×`],
    ["create: K3 calls per rule", `${r.create.operator.callsPerObject} (${kv(r.create.operator.callsByRpc)})`],
    ["create: apiserver writes per rule", `${r.create.operator.writesPerObject} (${kv(r.create.operator.writesByTargetVerb)})`],
    ["create: reconciles per rule", String(r.create.operator.reconcilesPerObject)],
    ["floor: K3 calls / writes per rule", `${r.create.floor.callsPerObject} / ${r.create.floor.writesPerObject}`],
    ["sources / pipelines first: all Ready", `${s(r.dependencies.sourcesAllReadyMs)} / ${s(r.dependencies.pipelinesAllReadyMs)}; per object ${r.dependencies.perObject.callsPerObject} K3 calls (${kv(r.dependencies.perObject.callsByRpc)}), ${r.dependencies.perObject.writesPerObject} writes`],
    ["operator RSS: before rules / all Ready / peak (VmHWM) / settled", `${m["beforeRules"]?.["rss"]} / ${m["allRulesReady"]?.["rss"]} / ${m["allRulesReady"]?.["peak"]} / ${m["settled"]?.["rss"]} MiB`],
    ["operator JS heap used: before / max during / settled; external max", `${m["beforeRules"]?.["heapUsed"]} / ${m["duringRules"]?.["maxHeapUsed"]} / ${m["settled"]?.["heapUsed"]} MiB; ${m["duringRules"]?.["maxExternal"]} MiB`],
    ["after restart: RSS / heap used", `${m["afterRestart"]?.["rss"]} / ${m["afterRestart"]?.["heapUsed"]} MiB`],
    ...(r.unrelatedSecrets ? [[`${r.unrelatedSecrets.count} unrelated Secrets (${r.unrelatedSecrets.ofOneMiB} of 1 MiB): RSS delta`, `${r.unrelatedSecrets.rssDelta} MiB (${r.unrelatedSecrets.rssBefore} → ${r.unrelatedSecrets.rssAfter}); heap used delta ${r.unrelatedSecrets.heapUsedDelta} MiB`] as [string, string]] : []),
    [`restart (${r.restart.objects} objects): /readyz, first reconcile, quiet`, `${s(r.restart.readyzMs)}, ${s(r.restart.firstReconcileMs)}, ${s(r.restart.quietMs)}`],
    ["restart: apiserver writes; K3 calls per object", `${r.restart.writes}; ${r.restart.callsPerObject} (${kv(r.restart.callsByRpc)})`],
    [`idle ${r.idle.periods} × ${s(r.idle.periodMs)}: apiserver writes, mutating K3 calls`, `${r.idle.writes}, ${r.idle.mutatingCalls}`],
    ["idle: K3 reads per object per period", String(r.idle.readsPerObjectPerPeriod)],
    ["idle: polls of runs and jobs", kv(r.idle.pollsOfRunsAndJobs)],
    ["operator log: warnings / errors", `${r.operator.log.warnings} / ${r.operator.log.errors}`],
  ];
  return [
    `Scale benchmark, commit ${r.commit}, ${r.date}; K3 budget ${r.options.k3Qps} calls/s, ${r.options.workers} workers${r.options.nodeOptions ? `, node ${r.options.nodeOptions}` : ""}; load average at the end ${r.machine.loadAverageAtEnd.join(" ")}`,
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
