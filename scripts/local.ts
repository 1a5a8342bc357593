// `npm run local`: the operator on an embedded default. Starts a local control plane, the K3
// emulator (in this process), the CRDs and the examples of kinds that have a controller, then
// the operator as a child process, and shows the objects' status live until Ctrl-C (or
// SIGTERM) stops everything, the operator first. `--no-watch` (or K3_LOCAL_ONCE=1) waits for
// the examples to be Ready instead, prints them once and stops: exit 0 if they all were.
// Files go to .local/ ($K3_LOCAL_DIR moves it): kubeconfig, k3-token, operator.log, emulator.log.
import type { ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { kubectlPath } from "../src/controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../src/controlplane/control-plane.js";
import { runCommand } from "../src/controlplane/exec.js";
import { freePorts } from "../src/controlplane/ports.js";
import { startProcess, stopProcess } from "../src/controlplane/processes.js";
import { startEmulator } from "../src/emulator/index.js";
import { isK3Kind, loadExamples, readyKinds, selectExamples, toYamlStream, type ExampleDocument } from "./local/examples.js";
import { cleanUpAfterEarlierRun, killRecordedNow, writeRunRecord, type RunRecord } from "./local/run-record.js";
import { notReady, renderHeader, withoutAges, type ListedObject } from "./local/status.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const namespace = "k3-demo";
const tenant = "k3-demo";
/** Emulated syncs and runs take a twentieth of their realistic time: visible, yet quick. */
const timeScale = 0.05;
const refreshMs = 2_000;
const readyTimeoutMs = 180_000;
/** The operator gives in-flight reconciles up to 25 s (src/main.ts); a little more here. */
const operatorStopMs = 30_000;
/** Repeats of a signal this soon are one Ctrl-C reaching us twice (directly and through npm). */
const repeatSignalMs = 2_000;

/** The files of a run. */
interface LocalPaths {
  dir: string;
  kubeconfig: string;
  token: string;
  operatorLog: string;
  emulatorLog: string;
  record: string;
  controlPlaneState: string;
}

function localPaths(dir: string): LocalPaths {
  return {
    dir,
    kubeconfig: join(dir, "kubeconfig"),
    token: join(dir, "k3-token"),
    operatorLog: join(dir, "operator.log"),
    emulatorLog: join(dir, "emulator.log"),
    record: join(dir, "local-run.json"),
    controlPlaneState: join(dir, "local-control-plane.json"),
  };
}

function say(message: string): void {
  process.stdout.write(`[local] ${message}\n`);
}

/** Thrown by a step that notices a stop was asked for; ends the run with exit code 0. */
class Interrupted extends Error {}

/** Signals asking us to stop: the first starts an orderly stop, a later one kills at once. */
class StopRequests {
  requested = false;
  private first = 0;
  private wake!: () => void;
  /** Resolves at the first request. */
  readonly asked = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(private readonly onInsist: () => void) {
    for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(name, () => this.receive(name));
  }

  private receive(name: NodeJS.Signals): void {
    if (!this.requested) {
      this.requested = true;
      this.first = Date.now();
      process.stdout.write("\n");
      say(`${name}: stopping (again to kill everything at once)`);
      this.wake();
    } else if (Date.now() - this.first > repeatSignalMs) {
      this.onInsist();
    }
  }

  /** Throws {@link Interrupted} once a stop was asked for. */
  check(): void {
    if (this.requested) throw new Interrupted();
  }
}

/** What was started, stopped in reverse order. */
class Started {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];

  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop });
  }

  async stopAll(): Promise<void> {
    for (let entry = this.stops.pop(); entry; entry = this.stops.pop()) {
      if (entry.name) say(`stopping ${entry.name}`);
      try {
        await entry.stop();
      } catch (error) {
        say(`cannot stop ${entry.name}: ${describe(error)}`);
      }
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : "";
  return `${error.message}${cause}`;
}

/** `kubectl` when one is on PATH, else the full path of the cached build we run ourselves. */
function kubectlToType(): string {
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean).some((dir) => {
    try {
      accessSync(join(dir, "kubectl"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return onPath ? "kubectl" : kubectlPath();
}

/** Runs kubectl on our control plane; rejects with its stderr if it fails. */
async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 90_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

async function startLocalControlPlane(paths: LocalPaths, started: Started): Promise<ControlPlane> {
  say("starting a control plane (etcd + kube-apiserver; the first run builds them from source, which takes minutes)");
  // Detached: in the terminal's process group, Ctrl-C would stop it before the operator.
  // The run record and the exit hook stand in for the cleanup that detaching gives up.
  const plane = await startControlPlane({
    detached: true,
    stateFile: paths.controlPlaneState,
    kubeconfigPath: paths.kubeconfig,
    report: (message) => say(`control plane: ${message}`),
  });
  started.add("the control plane", () => plane.stop());
  return plane;
}

async function applyExamples(kubeconfig: string): Promise<ExampleDocument[]> {
  await kubectl(kubeconfig, ["apply", "--server-side", "--force-conflicts", "-f", join(root, "crds")]);
  await kubectl(kubeconfig, ["wait", "--for=condition=Established", "--timeout=60s", "-f", join(root, "crds")]);
  say("CRDs installed");
  const { apply, skip } = selectExamples(await loadExamples(join(root, "examples")), readyKinds);
  const namespaceYaml = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`;
  await kubectl(kubeconfig, ["apply", "-f", "-"], namespaceYaml);
  await kubectl(kubeconfig, ["apply", "-n", namespace, "-f", "-"], toYamlStream(apply));
  say(`applied to namespace ${namespace}: ${apply.map((doc) => `${doc.kind} ${doc.name}`).join(", ")}`);
  const skippedKinds = [...new Set(skip.map((doc) => doc.kind))].join(", ");
  if (skip.length > 0) say(`skipped ${skip.length} example(s) of kinds without a controller yet (${skippedKinds})`);
  return apply;
}

/** A started operator child and a promise of its exit code. */
interface OperatorChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  metricsPort: number;
}

async function startOperatorChild(o: { paths: LocalPaths; emulatorAddress: string; record: RunRecord; started: Started }): Promise<OperatorChild> {
  const [metricsPort] = (await freePorts(1)) as [number];
  await writeFile(o.paths.operatorLog, "");
  const child = startProcess({
    command: process.execPath,
    args: [
      "--import", import.meta.resolve("tsx"), join(root, "src", "main.ts"),
      "--kubeconfig", o.paths.kubeconfig,
      "--k3-endpoint", o.emulatorAddress,
      "--k3-insecure",
      "--k3-token-file", o.paths.token,
      "--metrics-port", String(metricsPort),
    ],
    logFile: o.paths.operatorLog,
    detached: false,
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start the operator: ${process.execPath} did not start`);
  o.record.operatorPid = pid;
  await writeRunRecord(o.paths.record, o.record);
  o.started.add("the operator", () => stopProcess(pid, operatorStopMs));
  say(`operator started (pid ${pid}; log ${o.paths.operatorLog})`);
  return { child, exited, metricsPort };
}

async function operatorDied(operator: OperatorChild, paths: LocalPaths): Promise<never> {
  const code = await operator.exited;
  const log = (await readFile(paths.operatorLog, "utf8").catch(() => "")).trimEnd().split("\n").slice(-10).join("\n");
  throw new Error(`the operator exited with code ${code}; last lines of ${paths.operatorLog}:\n${log}`);
}

async function showLive(o: { kubeconfig: string; header: string; stops: StopRequests; operator: OperatorChild; paths: LocalPaths }): Promise<void> {
  const died = operatorDied(o.operator, o.paths);
  died.catch(() => undefined); // raced below; unhandled only while nobody waits on it
  let shown = "";
  if (!process.stdout.isTTY) process.stdout.write(`\n${o.header}\n\n`);
  while (!o.stops.requested) {
    const table = await kubectl(o.kubeconfig, ["get", "k3", "-A"]).catch((error: unknown) => describe(error));
    if (process.stdout.isTTY) {
      // Home and clear, then redraw: a `watch` of the table below the header.
      process.stdout.write(`\x1b[H\x1b[J${o.header}\n\n${table.trimEnd()}\n\n(refreshed every ${refreshMs / 1000} s at ${new Date().toLocaleTimeString()})\n`);
    } else if (withoutAges(table) !== shown) {
      shown = withoutAges(table);
      process.stdout.write(`${new Date().toISOString()}\n${table.trimEnd()}\n\n`);
    }
    await Promise.race([sleep(refreshMs), o.stops.asked, died]);
  }
}

async function waitUntilReady(o: { kubeconfig: string; wanted: ExampleDocument[]; stops: StopRequests; operator: OperatorChild; paths: LocalPaths }): Promise<void> {
  const died = operatorDied(o.operator, o.paths);
  died.catch(() => undefined);
  const started = Date.now();
  for (;;) {
    const list = JSON.parse(await kubectl(o.kubeconfig, ["get", "k3", "-n", namespace, "-o", "json"])) as { items: ListedObject[] };
    const missing = notReady(o.wanted, list.items);
    if (missing.length === 0) break;
    if (Date.now() - started > readyTimeoutMs) {
      throw new Error(`not Ready after ${readyTimeoutMs / 1000} s: ${missing.join("; ")} (operator log: ${o.paths.operatorLog})`);
    }
    await Promise.race([sleep(500), o.stops.asked, died]);
    o.stops.check();
  }
  say(`all ${o.wanted.length} example(s) Ready (or showing the failure they document) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`\n${(await kubectl(o.kubeconfig, ["get", "k3", "-A"])).trimEnd()}\n\n`);
}

function parseOptions(): { watch: boolean; dir: string } {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { "no-watch": { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    process.stdout.write("usage: npm run local [-- --no-watch]   (env: K3_LOCAL_ONCE=1 = --no-watch, K3_LOCAL_DIR = folder of its files, default .local)\n");
    process.exit(0);
  }
  const once = values["no-watch"] === true || ["1", "true"].includes(process.env.K3_LOCAL_ONCE ?? "");
  return { watch: !once, dir: resolve(process.env.K3_LOCAL_DIR ?? join(root, ".local")) };
}

/** A path as the user should type it: relative when it lies inside their current folder. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

async function run(): Promise<number> {
  const options = parseOptions();
  const paths = localPaths(options.dir);
  await mkdir(paths.dir, { recursive: true });
  const markers = { recordFile: paths.record, runMarker: "scripts/local.ts", operatorMarker: paths.token };
  const dead = await cleanUpAfterEarlierRun(markers);
  if (dead !== undefined) say(`stopped what an earlier run (pid ${dead}) left running`);
  const record: RunRecord = { pid: process.pid, controlPlaneStateFile: paths.controlPlaneState };
  await writeRunRecord(paths.record, record);
  process.on("exit", () => killRecordedNow(markers));
  const stops = new StopRequests(() => {
    say("killing everything now");
    killRecordedNow(markers);
    process.exit(1);
  });
  const started = new Started();
  started.add("", () => rm(paths.record, { force: true }));

  try {
    const plane = await startLocalControlPlane(paths, started);
    stops.check();

    const emulator = await startEmulator({
      timeScale,
      logger: pino({ level: "info" }, pino.destination({ dest: paths.emulatorLog, sync: true })),
    });
    started.add("the emulator", () => emulator.stop());
    await writeFile(paths.token, `${emulator.mintToken({ tenant, ttlSeconds: 30 * 24 * 3600 })}\n`, { mode: 0o600 });
    started.add("", () => rm(paths.token, { force: true }));
    say(`emulator listening on ${emulator.address} (tenant ${tenant}; token in ${shown(paths.token)})`);
    stops.check();

    const applied = await applyExamples(paths.kubeconfig);
    stops.check();

    const operator = await startOperatorChild({ paths, emulatorAddress: emulator.address, record, started });
    const header = renderHeader({
      kubeconfig: paths.kubeconfig,
      kubeconfigShown: shown(paths.kubeconfig),
      kubectl: kubectlToType(),
      namespace,
      pipeline: applied.find((doc) => doc.kind === "K3Pipeline")?.name,
      emulatorAddress: emulator.address,
      tokenFile: shown(paths.token),
      timeScale,
      operatorLog: shown(paths.operatorLog),
      metricsPort: operator.metricsPort,
      pids: [...plane.processes, { name: "operator", pid: operator.child.pid ?? -1 }],
      watching: options.watch,
    });
    if (options.watch) {
      await showLive({ kubeconfig: paths.kubeconfig, header, stops, operator, paths });
    } else {
      process.stdout.write(`\n${header}\n\n`);
      await waitUntilReady({ kubeconfig: paths.kubeconfig, wanted: applied.filter(isK3Kind), stops, operator, paths });
    }
    return 0;
  } catch (error) {
    if (error instanceof Interrupted) return 0;
    process.stderr.write(`[local] ${describe(error)}\n`);
    return 1;
  } finally {
    await started.stopAll();
    say("stopped");
  }
}

process.exit(
  await run().catch((error: unknown) => {
    // Before anything was started: a bad flag, a second run in the same folder.
    process.stderr.write(`[local] ${describe(error)}\n`);
    return 1;
  }),
);
