// The operator as a child process of the benchmark, so that its memory is its own: started
// the way a user runs it (src/main.ts and flags), stopped with SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../src/controlplane/exec.js";
import { freePorts } from "../../src/controlplane/ports.js";
import { onParentExit } from "../../src/controlplane/processes.js";
import { parsePrometheusText, type Sample } from "./prometheus-text.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Where the compiled operator goes: beside the sources, so that node_modules resolves. */
const compiledDir = join(repoRoot, ".local", "bench-dist");

/**
 * Compiles src/ as `npm run build` does (into .local/bench-dist, leaving dist/ alone) and
 * returns the entry point: the operator then runs as its container image runs it.
 */
export async function buildOperator(): Promise<string> {
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const result = await runCommand(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", compiledDir], { cwd: repoRoot, timeoutMs: 300_000 });
  if (result.exitCode !== 0) throw new Error(`cannot compile the operator: ${result.stdout.trim()} ${result.stderr.trim()}`);
  return join(compiledDir, "main.js");
}

/** Options of {@link startOperatorProcess}. */
export interface OperatorProcessOptions {
  /**
   * The compiled entry point from {@link buildOperator}; when omitted, src/main.ts runs with
   * the tsx loader, which costs about 60 MiB of extra RSS (esbuild output and source maps).
   */
  compiledMain?: string;
  kubeconfigPath: string;
  k3Endpoint: string;
  k3TokenFile: string;
  workers: number;
  /** e.g. "10m" */
  resyncPeriod: string;
  /** the operator's K3 call budget; its own default when omitted */
  k3Qps?: number;
  /** pino level; info unless given */
  logLevel?: string;
  /** where its stdout and stderr (pino JSON lines) go; appended to */
  logFile: string;
  /** how long to wait for /readyz; 60 s unless given */
  readyTimeoutMs?: number;
  /** further operator flags, e.g. `--namespaces a,b` or leader election's */
  extraArgs?: readonly string[];
  /** options for Node itself, e.g. `--max-old-space-size=160` (as NODE_OPTIONS sets them in the image) */
  nodeArgs?: string[];
}

/** Memory of the operator: the kernel's view and V8's, in KiB. */
export interface ProcessMemory {
  /** resident set size now */
  rssKiB: number;
  /** peak resident set size since the process started (VmHWM) */
  peakKiB: number;
  /** JS heap in use (nodejs_heap_size_used_bytes): live objects plus garbage not yet collected, so an upper bound of what is retained */
  heapUsedKiB: number;
  /** heap V8 has reserved (nodejs_heap_size_total_bytes) */
  heapTotalKiB: number;
  /** memory of C++ objects bound to JS objects, ArrayBuffers included (nodejs_external_memory_bytes) */
  externalKiB: number;
}

/** A running operator process. */
export interface OperatorProcess {
  pid: number;
  /** Reads VmRSS and VmHWM from /proc/<pid>/status and the heap gauges from /metrics. */
  memory(): Promise<ProcessMemory>;
  /** Scrapes its /metrics. */
  metrics(): Promise<Sample[]>;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`, 30 s unless given); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL, as a node failure or an OOM kill does; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Resolves when the process exits, whatever ends it. */
  readonly exited: Promise<void>;
  /** True until the process has exited. */
  running(): boolean;
}

/**
 * Starts the operator on Node 24 — compiled, or `src/main.ts` with `node --import tsx` (not the
 * tsx CLI, which would put a second Node process between us and the operator) — and resolves
 * once /readyz says the caches are synced and the workers run.
 */
export async function startOperatorProcess(options: OperatorProcessOptions): Promise<OperatorProcess> {
  const [port] = (await freePorts(1)) as [number];
  const args = [
    ...(options.nodeArgs ?? []),
    ...(options.compiledMain === undefined ? ["--import", "tsx", "src/main.ts"] : [options.compiledMain]),
    "--kubeconfig", options.kubeconfigPath,
    "--k3-endpoint", options.k3Endpoint,
    "--k3-insecure",
    "--k3-token-file", options.k3TokenFile,
    "--workers", String(options.workers),
    "--resync-period", options.resyncPeriod,
    "--metrics-port", String(port),
    "--log-level", options.logLevel ?? "info",
    ...(options.k3Qps === undefined ? [] : ["--k3-qps", String(options.k3Qps)]),
    ...(options.extraArgs ?? []),
  ];
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start the operator");
  // Whatever happens to the benchmark, the operator must not outlive it: killed at once on the
  // benchmark's exit or on a signal (Ctrl-C also stops the control plane at once, after which
  // a graceful stop could hang).
  const forget = onParentExit(() => void child.kill("SIGKILL"));
  const base = `http://127.0.0.1:${port}`;
  const exited = (once(child, "exit") as Promise<unknown>).then(() => {
    forget();
    log.end();
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  try {
    await waitReady(child, `${base}/readyz`, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`the operator did not become ready; see ${options.logFile}`, { cause: err });
  }
  return {
    pid,
    async memory() {
      const [kernel, samples] = await Promise.all([readMemory(pid), scrape(base)]);
      const heap = (suffix: string): number => Math.round(samples.filter((s) => s.name.endsWith(suffix)).reduce((sum, s) => sum + s.value, 0) / 1024);
      return { ...kernel, heapUsedKiB: heap("nodejs_heap_size_used_bytes"), heapTotalKiB: heap("nodejs_heap_size_total_bytes"), externalKiB: heap("nodejs_external_memory_bytes") };
    },
    metrics: () => scrape(base),
    async stop(graceMs = 30_000) {
      if (!running()) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      return child.exitCode;
    },
    async kill() {
      if (running()) child.kill("SIGKILL");
      await exited;
    },
    exited,
    running,
  };
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited early (${child.exitCode ?? child.signalCode})`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

async function scrape(base: string): Promise<Sample[]> {
  const resp = await fetch(`${base}/metrics`);
  if (!resp.ok) throw new Error(`operator /metrics answered ${resp.status}`);
  return parsePrometheusText(await resp.text());
}

async function readMemory(pid: number): Promise<{ rssKiB: number; peakKiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match?.[1]) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), peakKiB: field("VmHWM") };
}

/** Warnings and errors of pino JSON log lines. */
export interface LogSummary {
  warnings: number;
  errors: number;
  /** counts by message, for the lines at warn level or above */
  byMessage: Record<string, number>;
  /** the first few such lines, verbatim */
  examples: string[];
}

/** Counts the warn/error/fatal lines of a pino log file (lines that are not JSON count as errors: a crash trace). */
export async function summarizeLog(logFile: string, maxExamples = 5): Promise<LogSummary> {
  const summary: LogSummary = { warnings: 0, errors: 0, byMessage: {}, examples: [] };
  const text = await readFile(logFile, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let level = 50;
    let msg = line.slice(0, 120);
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      level = entry.level ?? 30;
      msg = entry.msg ?? "";
    } catch {
      // not pino: stderr of a crash
    }
    if (level < 40) continue;
    if (level >= 50) summary.errors++;
    else summary.warnings++;
    summary.byMessage[msg] = (summary.byMessage[msg] ?? 0) + 1;
    if (summary.examples.length < maxExamples) summary.examples.push(line.slice(0, 600));
  }
  return summary;
}
