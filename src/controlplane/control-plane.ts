// A real kube-apiserver on a real etcd, started the controller-runtime "envtest" way:
// loopback only, fresh certificates, RBAC on, nothing left behind when we stop or die.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureBinaries, ensureClusterBinaries, stderrReporter, type Reporter } from "./build.js";
import { runCommand } from "./exec.js";
import { renderKubeconfig, type ClusterAccess } from "./kubeconfig.js";
import { freePorts } from "./ports.js";
import { isAlive, onParentExit, runsExecutable, signal, startProcess, stopProcess } from "./processes.js";
import { cacheDir, type BinaryPaths, type ClusterBinaryPaths } from "./versions.js";

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Defaults to {@link ensureBinaries} (which builds them on first use). */
  binaries?: BinaryPaths;
  /** Where the admin kubeconfig goes; defaults to `admin.kubeconfig` in the control plane's folder. */
  kubeconfigPath?: string;
  /**
   * Keep etcd and the apiserver running after this process exits (`control-plane up`);
   * they are then stopped with {@link stopControlPlane} on the saved state.
   */
  detached?: boolean;
  /** Where the state (pids, folders) is saved; defaults to `<cache>/run/<id>.json`. */
  stateFile?: string;
  /** Defaults to 90 s: a loaded two-core machine needs 10 to 20 s. */
  readyTimeoutMs?: number;
  /**
   * Also run kube-controller-manager with the namespace, garbage-collector and ServiceAccount
   * controllers (built on first use, see {@link ensureClusterBinaries}): deleted namespaces
   * are emptied and go, owner references are collected, every namespace gets its `default`
   * ServiceAccount, so the ServiceAccount admission plugin stays on. Off by default, as envtest.
   */
  controllers?: boolean;
  /**
   * Make it a cluster that kubelets can join (implies {@link ControlPlaneOptions.controllers}):
   * kube-scheduler runs, kube-controller-manager also runs the controllers a Deployment on a
   * node needs ({@link nodeControllers}), and the apiserver authorizes kubelets as nodes (Node
   * authorizer, NodeRestriction) and reaches them at their InternalIP with the admin
   * certificate (for `kubectl logs`). The kubelet itself is the caller's: it needs a container
   * runtime (scripts/e2e/cluster).
   */
  nodes?: boolean;
  report?: Reporter;
}

/** The controllers {@link ControlPlaneOptions.controllers} runs. */
export const controlPlaneControllers = ["namespace", "garbagecollector", "serviceaccount", "serviceaccount-token"];

/**
 * The controllers {@link ControlPlaneOptions.nodes} adds: Deployments and their ReplicaSets,
 * the node lifecycle (it lifts a new node's not-ready taint), the `kube-root-ca.crt`
 * ConfigMap every pod's token volume projects, and PodDisruptionBudgets' status.
 */
export const nodeControllers = ["deployment-controller", "replicaset-controller", "node-lifecycle-controller", "root-ca-certificate-publisher-controller", "disruption-controller"];

/** Everything needed to use, find and stop a control plane; also its state file's content. */
export interface ControlPlaneState {
  /** Temporary folder with the certificates, etcd's data and the logs; removed on stop. */
  dir: string;
  pkiDir: string;
  kubeconfigPath: string;
  stateFile: string;
  /** `https://127.0.0.1:<port>` */
  server: string;
  apiserverMetricsUrl: string;
  etcdUrl: string;
  /** Started processes, the apiserver first (the order in which they are stopped). */
  processes: { name: string; pid: number; executable: string }[];
  /** The process whose exit ends the control plane; null when detached. */
  ownerPid: number | null;
}

/** A running control plane. */
export interface ControlPlane extends ControlPlaneState {
  /** The cluster part for {@link createUserKubeconfig}. */
  cluster: ClusterAccess;
  /** Milliseconds from starting etcd to the apiserver's /readyz answering 200. */
  startupMs: number;
  /** Stops the apiserver and etcd (SIGTERM, SIGKILL after 10 s) and removes every file. */
  stop(): Promise<void>;
  /**
   * Stops kube-apiserver (SIGTERM; SIGKILL after `graceMs`, 10 s unless given) and starts it
   * again on the same port and etcd, resolving once /readyz answers: an apiserver restart as a
   * control-plane upgrade makes it, for fault runs. Clients keep their kubeconfig.
   */
  restartApiserver(graceMs?: number): Promise<void>;
}

const maxAttempts = 3;

/**
 * Starts etcd and kube-apiserver on free loopback ports and resolves once /readyz answers.
 * Control planes left running by an owner that died (a killed test run) are stopped first.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const report = options.report ?? stderrReporter;
  const stale = await reapStaleControlPlanes();
  if (stale > 0) report(`stopped ${stale} control plane(s) left behind by processes that died`);
  const binaries = options.binaries ?? (await ensureBinaries({ report }));
  const cluster = options.controllers || options.nodes ? await ensureClusterBinaries({ report }) : undefined;
  const dir = await mkdtemp(join(tmpdir(), "k3-control-plane-"));
  try {
    const pkiDir = join(dir, "pki");
    await mkdir(pkiDir);
    const certs = await runCommand(binaries.certgen, ["init", pkiDir]);
    if (certs.exitCode !== 0) throw new Error(`cannot create certificates: ${certs.stderr.trim()}`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce({ ...options, binaries, cluster, dir, pkiDir, report });
      } catch (error) {
        // A port chosen free can be taken before our child binds it: choose again.
        if (!(error instanceof PortTakenError) || attempt === maxAttempts) throw error;
        report(`${error.message}; retrying with other ports`);
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

class PortTakenError extends Error {}

interface StartOnceOptions extends ControlPlaneOptions {
  binaries: BinaryPaths;
  /** Paths of kube-controller-manager and kube-scheduler when the controllers (or nodes) run. */
  cluster: ClusterBinaryPaths | undefined;
  dir: string;
  pkiDir: string;
  report: Reporter;
}

async function startOnce(options: StartOnceOptions): Promise<ControlPlane> {
  const { binaries, dir, pkiDir } = options;
  const detached = options.detached ?? false;
  const [etcdPort, peerPort, apiPort] = (await freePorts(3)) as [number, number, number];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = options.kubeconfigPath ?? join(dir, "admin.kubeconfig");
  const stateFile = options.stateFile ?? join(cacheDir(), "run", `${basename(dir)}.json`);
  const started = Date.now();

  const children: { name: string; child: ChildProcess; executable: string; logFile: string }[] = [];
  const exited = new Map<string, number | null>();
  const spawn = (name: string, executable: string, args: string[]): void => {
    const logFile = join(dir, `${name}.log`);
    const child = startProcess({ command: executable, args, logFile, detached });
    child.on("exit", (code) => exited.set(name, code));
    children.unshift({ name, executable, logFile, child });
  };
  spawn("etcd", binaries.etcd, etcdArgs({ dir, etcdUrl, peerUrl: `http://127.0.0.1:${peerPort}` }));
  const nodes = options.nodes ?? false;
  const kubeApiserverArgs = apiserverArgs({ pkiDir, etcdUrl, server, apiPort, serviceAccountAdmission: options.cluster !== undefined, nodes });
  spawn("kube-apiserver", binaries.kubeApiserver, kubeApiserverArgs);

  const state: ControlPlaneState = {
    dir, pkiDir, kubeconfigPath, stateFile, server, etcdUrl,
    apiserverMetricsUrl: `${server}/metrics`,
    processes: [],
    ownerPid: detached ? null : process.pid,
  };
  const saveState = async (): Promise<void> => {
    state.processes = children.map(({ name, child, executable }) => ({ name, pid: child.pid ?? -1, executable }));
    await writeFile(stateFile, JSON.stringify(state, null, 2));
  };
  // Saved before waiting, so that even a start interrupted now is found and cleaned up later.
  await mkdir(dirname(stateFile), { recursive: true });
  await saveState();
  const forgetExitCleanup = detached ? () => undefined : onParentExit(() => killNow(state));

  try {
    await writeFile(kubeconfigPath, await adminKubeconfig(pkiDir, server), { mode: 0o600 });
    const deadline = started + (options.readyTimeoutMs ?? 90_000);
    await waitReady({ pkiDir, server, deadline, exited });
    if (options.cluster) {
      // After the apiserver is ready: kube-controller-manager gives up if it is not soon enough.
      spawn("kube-controller-manager", options.cluster.kubeControllerManager, controllerManagerArgs({ pkiDir, kubeconfigPath, nodes }));
      if (nodes) spawn("kube-scheduler", options.cluster.kubeScheduler, schedulerArgs(kubeconfigPath));
      await saveState();
      await waitControllersRunning({ pkiDir, server, deadline, exited });
    }
  } catch (error) {
    const logs = await Promise.all(children.map(async ({ name, logFile }) => `--- ${name} (last lines of ${logFile}):\n${await tail(logFile)}`));
    // Everything but the certificates goes, so that a retry starts clean.
    await stopControlPlane({ ...state, dir: join(dir, "etcd-data") });
    forgetExitCleanup();
    await Promise.all(children.map(({ logFile }) => rm(logFile, { force: true })));
    const message = `${error instanceof Error ? error.message : String(error)}\n${logs.join("\n")}`;
    if (/address already in use/.test(message)) throw new PortTakenError(`a chosen port was taken (${etcdPort}, ${peerPort}, ${apiPort})`);
    throw new Error(`control plane did not start: ${message}`, { cause: error });
  }
  const startupMs = Date.now() - started;
  options.report(`control plane ready at ${server} in ${(startupMs / 1000).toFixed(1)} s (kubeconfig: ${kubeconfigPath})`);
  return {
    ...state,
    cluster: { server, pkiDir, certgen: binaries.certgen },
    startupMs,
    stop: async () => {
      // The exit hook stays until every child is gone: a parent that exits mid-stop (a second
      // Ctrl-C) still kills what is left instead of leaving etcd running.
      await stopControlPlane(state);
      forgetExitCleanup();
    },
    restartApiserver: async (graceMs = 10_000) => {
      const index = children.findIndex((c) => c.name === "kube-apiserver");
      const old = children[index];
      if (!old?.child.pid) throw new Error("no kube-apiserver to restart");
      const gone = old.child.exitCode === null && old.child.signalCode === null ? once(old.child, "exit") : Promise.resolve();
      await stopProcess(old.child.pid, graceMs);
      // Its exit is recorded before it is forgotten: a late record would read as the new one failing.
      await gone;
      children.splice(index, 1);
      exited.delete("kube-apiserver");
      spawn("kube-apiserver", binaries.kubeApiserver, kubeApiserverArgs);
      // Stopped first again: spawn() put it at the front, as at the start.
      await saveState();
      await waitReady({ pkiDir, server, deadline: Date.now() + (options.readyTimeoutMs ?? 90_000), exited });
    },
  };
}

function etcdArgs(o: { dir: string; etcdUrl: string; peerUrl: string }): string[] {
  return [
    "--name=local",
    `--data-dir=${join(o.dir, "etcd-data")}`,
    `--listen-client-urls=${o.etcdUrl}`,
    `--advertise-client-urls=${o.etcdUrl}`,
    `--listen-peer-urls=${o.peerUrl}`,
    `--initial-advertise-peer-urls=${o.peerUrl}`,
    `--initial-cluster=local=${o.peerUrl}`,
    // Test data is thrown away: skipping fsync makes every write (and so every test) faster.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

function controllerManagerArgs(o: { pkiDir: string; kubeconfigPath: string; nodes: boolean }): string[] {
  return [
    `--kubeconfig=${o.kubeconfigPath}`,
    `--controllers=${[...controlPlaneControllers, ...(o.nodes ? nodeControllers : [])].join(",")}`,
    `--service-account-private-key-file=${join(o.pkiDir, "sa.key")}`,
    `--root-ca-file=${join(o.pkiDir, "ca.crt")}`,
    "--leader-elect=false",
    // No HTTPS endpoint: nothing reads its metrics, and no port to choose.
    "--secure-port=0",
  ];
}

function schedulerArgs(kubeconfigPath: string): string[] {
  // As kube-controller-manager: one instance, no HTTPS endpoint and so no port to choose.
  return [`--kubeconfig=${kubeconfigPath}`, "--leader-elect=false", "--secure-port=0"];
}

function apiserverArgs(o: { pkiDir: string; etcdUrl: string; server: string; apiPort: number; serviceAccountAdmission: boolean; nodes: boolean }): string[] {
  const pki = (file: string): string => join(o.pkiDir, file);
  return [
    `--etcd-servers=${o.etcdUrl}`,
    "--advertise-address=127.0.0.1",
    "--bind-address=127.0.0.1",
    `--secure-port=${o.apiPort}`,
    `--tls-cert-file=${pki("apiserver.crt")}`,
    `--tls-private-key-file=${pki("apiserver.key")}`,
    `--client-ca-file=${pki("ca.crt")}`,
    // Kubelets (user system:node:<name>) are authorized as nodes, for their own objects only.
    `--authorization-mode=${o.nodes ? "Node,RBAC" : "RBAC"}`,
    ...(o.nodes ? [
      "--enable-admission-plugins=NodeRestriction",
      // A node's name does not resolve here; its InternalIP is the address a kubelet reports.
      "--kubelet-preferred-address-types=InternalIP",
      `--kubelet-client-certificate=${pki("admin.crt")}`,
      `--kubelet-client-key=${pki("admin.key")}`,
    ] : []),
    `--service-account-issuer=${o.server}/`,
    `--service-account-key-file=${pki("sa.pub")}`,
    `--service-account-signing-key-file=${pki("sa.key")}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    // As envtest: without a controller-manager no controller creates the "default"
    // ServiceAccount this admission plugin would demand of every pod.
    ...(o.serviceAccountAdmission ? [] : ["--disable-admission-plugins=ServiceAccount"]),
  ];
}

async function adminKubeconfig(pkiDir: string, server: string): Promise<string> {
  const [caPem, certPem, keyPem] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((file) => readFile(join(pkiDir, file), "utf8")));
  return renderKubeconfig({ name: "k3-operator-local", server, caPem: caPem!, credentials: { certPem: certPem!, keyPem: keyPem! } });
}

async function waitReady(o: { pkiDir: string; server: string; deadline: number; exited: Map<string, number | null> }): Promise<void> {
  const [ca, cert, key] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((file) => readFile(join(o.pkiDir, file))));
  for (;;) {
    const [exit] = o.exited;
    if (exit) throw new Error(`${exit[0]} exited with code ${exit[1]} during start`);
    if (await readyzAnswersOk({ url: `${o.server}/readyz`, ca: ca!, cert: cert!, key: key! })) return;
    if (Date.now() > o.deadline) throw new Error(`${o.server}/readyz did not answer 200 in time`);
    await sleep(100);
  }
}

/** Waits until the ServiceAccount controller has made `default/default`: the controllers run. */
async function waitControllersRunning(o: { pkiDir: string; server: string; deadline: number; exited: Map<string, number | null> }): Promise<void> {
  const [ca, cert, key] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((file) => readFile(join(o.pkiDir, file))));
  for (;;) {
    const [exit] = o.exited;
    if (exit) throw new Error(`${exit[0]} exited with code ${exit[1]} during start`);
    if (await readyzAnswersOk({ url: `${o.server}/api/v1/namespaces/default/serviceaccounts/default`, ca: ca!, cert: cert!, key: key! })) return;
    if (Date.now() > o.deadline) throw new Error("kube-controller-manager did not create the default ServiceAccount in time");
    await sleep(200);
  }
}

function readyzAnswersOk(o: { url: string; ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(o.url, { ca: o.ca, cert: o.cert, key: o.key, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function tail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Stops the processes recorded in `state` (only if they still run the recorded executable)
 * and removes its folder, kubeconfig and state file. Safe to call twice.
 */
export async function stopControlPlane(state: Pick<ControlPlaneState, "dir" | "kubeconfigPath" | "stateFile" | "processes">): Promise<void> {
  // All at once, and only then done: one after the other, an interrupted stop never signalled
  // the later children (etcd, whose data is thrown away anyway, needs no ordered shutdown).
  await Promise.all(state.processes.filter(({ pid, executable }) => runsExecutable(pid, executable)).map(({ pid }) => stopProcess(pid)));
  await Promise.all([state.dir, state.kubeconfigPath, state.stateFile].map((path) => rm(path, { recursive: true, force: true })));
}

/** The synchronous last resort while this process exits: no time for a graceful stop. */
function killNow(state: ControlPlaneState): void {
  for (const { pid, executable } of state.processes) if (runsExecutable(pid, executable)) signal(pid, "SIGKILL");
  for (const path of [state.dir, state.kubeconfigPath, state.stateFile]) rmSync(path, { recursive: true, force: true });
}

/** True if every recorded process still runs and the apiserver's /readyz answers 200. */
export async function isControlPlaneReady(state: ControlPlaneState): Promise<boolean> {
  if (!state.processes.every(({ pid, executable }) => runsExecutable(pid, executable))) return false;
  try {
    const [ca, cert, key] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((file) => readFile(join(state.pkiDir, file))));
    return await readyzAnswersOk({ url: `${state.server}/readyz`, ca: ca!, cert: cert!, key: key! });
  } catch {
    return false;
  }
}

/** Reads a state file written by {@link startControlPlane}; undefined if there is none. */
export async function readControlPlaneState(stateFile: string): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, "utf8")) as ControlPlaneState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read control plane state ${stateFile}`, { cause: error });
  }
}

/**
 * Stops the control planes in `<cache>/run` whose owner process has died (a test run killed
 * with SIGKILL cannot clean up after itself); returns how many it stopped.
 */
export async function reapStaleControlPlanes(cache: string = cacheDir()): Promise<number> {
  const runDir = join(cache, "run");
  const files = await readdir(runDir).catch(() => [] as string[]);
  let stopped = 0;
  for (const file of files.filter((name) => name.endsWith(".json"))) {
    const state = await readControlPlaneState(join(runDir, file)).catch(() => undefined);
    if (!state || state.ownerPid === null || isAlive(state.ownerPid)) continue;
    await stopControlPlane(state);
    stopped++;
  }
  return stopped;
}
