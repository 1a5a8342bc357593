// A node for the local control plane: a containerd CRI instance of its own (Debian's
// containerd 1.6) and a kubelet built from the pinned release, both with every file below one
// fixed folder. `sweepNode` undoes all of it, from that folder alone: after a normal run,
// on Ctrl-C, and at the start of the next run when one was killed.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runCommand } from "../../../src/controlplane/exec.js";
import { createUserKubeconfig, type ClusterAccess } from "../../../src/controlplane/kubeconfig.js";
import { freePorts } from "../../../src/controlplane/ports.js";
import { onParentExit, signal, startProcess, stopProcess } from "../../../src/controlplane/processes.js";
import { mountsUnder, processesUnder } from "../docker-engine.js";
import { createBridge, createCgroupRoot, deleteBridge, must, removeCgroupRoot, removeCniResults, removeKubeletChains } from "./host.js";
import { renderCniConfig, renderContainerdConfig, renderKubeletConfig, type NodeLayout, type NodeNetwork } from "./node-files.js";

/** Debian's containernetworking-plugins put the bridge and loopback plugins here. */
export const cniBinDir = "/usr/lib/cni";

/** Options of {@link startContainerd}. */
export interface ContainerdOptions {
  layout: NodeLayout;
  /** The sandbox image's reference (it must be imported before the first pod). */
  sandboxImage: string;
  network: NodeNetwork;
  report: (message: string) => void;
}

/** A running containerd of ours. */
export interface Containerd {
  /** Runs `ctr` against it in the `k8s.io` namespace (the CRI's). */
  ctr(args: readonly string[], input?: string): Promise<string>;
  /** Imports an image from `docker save` output: `bash -c` runs `pipeline | ctr … import -`. */
  importFrom(pipeline: string, env?: NodeJS.ProcessEnv): Promise<void>;
  stop(): Promise<void>;
}

/** Starts containerd with the CRI plugin on the layout's socket, with the CNI configuration in place. */
export async function startContainerd(o: ContainerdOptions): Promise<Containerd> {
  const { layout } = o;
  for (const dir of [layout.containerdRoot, layout.containerdState, layout.cniConfDir, layout.cniDataDir, layout.logsDir]) await mkdir(dir, { recursive: true });
  await writeFile(layout.containerdConfig, renderContainerdConfig(layout, { sandboxImage: o.sandboxImage, cniBinDir }));
  await writeFile(join(layout.cniConfDir, "10-k3-e2e.conflist"), renderCniConfig(layout, o.network));
  const logFile = join(layout.logsDir, "containerd.log");
  const child = startProcess({ command: "containerd", args: ["--config", layout.containerdConfig], logFile, detached: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start containerd (Debian's containerd, installed with docker.io)");
  let exitCode: number | null | undefined;
  child.on("exit", (code) => (exitCode = code));
  const forget = onParentExit(() => signal(pid, "SIGKILL"));
  const ctrArgs = ["--address", layout.containerdSocket, "--namespace", "k8s.io"];
  const ctr = async (args: readonly string[], input?: string): Promise<string> => {
    const result = await runCommand("ctr", [...ctrArgs, ...args], { input, timeoutMs: 300_000 });
    if (result.exitCode !== 0) throw new Error(`ctr ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim()}`);
    return result.stdout;
  };
  const started = Date.now();
  for (;;) {
    if (existsSync(layout.containerdSocket) && (await runCommand("ctr", [...ctrArgs, "version"], { timeoutMs: 10_000 })).exitCode === 0) break;
    if (exitCode !== undefined) throw new Error(`containerd exited with code ${exitCode} during start; log: ${logFile}`);
    if (Date.now() - started > 30_000) throw new Error(`containerd did not answer within 30 s; log: ${logFile}`);
    await sleep(100);
  }
  o.report(`containerd (CRI) started, pid ${pid}, socket ${layout.containerdSocket}`);
  return {
    ctr,
    importFrom: async (pipeline, env) => {
      const result = await runCommand("bash", ["-c", `set -o pipefail; ${pipeline} | ctr ${ctrArgs.join(" ")} images import -`], { env: { ...process.env, ...env }, timeoutMs: 600_000 });
      if (result.exitCode !== 0) throw new Error(`image import failed: ${(result.stderr || result.stdout).trim()}`);
    },
    stop: async () => {
      await stopProcess(pid, 15_000);
      forget();
    },
  };
}

/** Options of {@link startKubelet}. */
export interface KubeletOptions {
  layout: NodeLayout;
  kubelet: string;
  nodeName: string;
  network: NodeNetwork;
  cluster: ClusterAccess;
  cgroupRoot: string;
  report: (message: string) => void;
}

/** A running kubelet of ours. */
export interface Kubelet {
  pid: number;
  logFile: string;
  /** The port of its API on the node's address. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the kubelet as the node `nodeName` (a client certificate for `system:node:<name>`,
 * so the Node authorizer limits it to its own objects), with the node's address as InternalIP.
 */
export async function startKubelet(o: KubeletOptions): Promise<Kubelet> {
  const { layout } = o;
  for (const dir of [layout.kubeletRoot, layout.kubeletCertDir, layout.podLogsDir]) await mkdir(dir, { recursive: true });
  await createUserKubeconfig({ cluster: o.cluster, user: `system:node:${o.nodeName}`, groups: ["system:nodes"], path: layout.kubeletKubeconfig });
  await createCgroupRoot(o.cgroupRoot);
  const [port, healthzPort] = (await freePorts(2)) as [number, number];
  await writeFile(layout.kubeletConfig, renderKubeletConfig(layout, {
    address: o.network.gateway, port, healthzPort, clientCaFile: join(o.cluster.pkiDir, "ca.crt"), cgroupRoot: `/${o.cgroupRoot}`,
  }));
  const logFile = join(layout.logsDir, "kubelet.log");
  const child = startProcess({
    command: o.kubelet,
    args: [
      `--config=${layout.kubeletConfig}`,
      `--kubeconfig=${layout.kubeletKubeconfig}`,
      `--root-dir=${layout.kubeletRoot}`,
      `--cert-dir=${layout.kubeletCertDir}`,
      `--hostname-override=${o.nodeName}`,
      `--node-ip=${o.network.gateway}`,
    ],
    logFile,
    detached: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start the kubelet");
  const forget = onParentExit(() => signal(pid, "SIGKILL"));
  o.report(`kubelet started, pid ${pid}, node ${o.nodeName} at ${o.network.gateway}:${port}; log ${logFile}`);
  return {
    pid, logFile, port,
    stop: async () => {
      await stopProcess(pid, 15_000);
      forget();
    },
  };
}

/** Ids of the pod sandboxes containerd knows under the layout (its state and root folders name them). */
function sandboxIds(layout: NodeLayout): string[] {
  const dirs = [join(layout.containerdState, "io.containerd.grpc.v1.cri", "sandboxes"), join(layout.containerdRoot, "io.containerd.grpc.v1.cri", "sandboxes")];
  return [...new Set(dirs.flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : [])))];
}

/** Creates the node's bridge; see {@link createBridge}. */
export async function createNodeNetwork(network: NodeNetwork, extraAddresses: readonly string[]): Promise<void> {
  await createBridge(network, extraAddresses);
}

/**
 * Undoes everything of a node under `layout` (the running kubelet and containerd, their shims
 * and containers, mounts, pod network namespaces, the bridge and its veths, the cgroup root,
 * the kubelet's iptables chains, the CNI cache, the folder) and says what it found.
 */
export async function sweepNode(o: { layout: NodeLayout; bridge: string; cgroupRoot: string; report: (message: string) => void }): Promise<void> {
  const { layout, report } = o;
  const found: string[] = [];
  // The kubelet first (it would restart what we stop), then containerd, then the shims.
  for (const names of [["kubelet"], ["containerd"], undefined]) {
    for (const pid of processesUnder(layout.base, names)) {
      found.push(`process ${pid}`);
      await stopProcess(pid, 10_000);
    }
  }
  const killed = removeCgroupRoot(o.cgroupRoot);
  if (killed > 0) found.push(`${killed} container process(es)`);
  // Pod network namespaces are bind mounts under containerd's state folder: unmounting the
  // last one of a namespace destroys it, and with it the pod's end of its veth pair.
  const mounts = mountsUnder([layout.base]);
  for (const point of mounts) {
    const result = await runCommand("umount", [point]);
    if (result.exitCode !== 0) await must("umount", ["-l", point]);
  }
  if (mounts.length > 0) found.push(`${mounts.length} mount(s) (${mounts.map((point) => point.slice(layout.base.length + 1)).join(", ")})`);
  if (await deleteBridge(o.bridge)) found.push(`bridge ${o.bridge}`);
  const chains = await removeKubeletChains();
  if (chains.length > 0) found.push(`iptables chains (${chains.join(", ")})`);
  const results = await removeCniResults(o.bridge, sandboxIds(layout));
  if (results > 0) found.push(`${results} CNI cache entr${results === 1 ? "y" : "ies"}`);
  if (existsSync(layout.base)) {
    await rm(layout.base, { recursive: true, force: true });
    found.push(`folder ${layout.base}`);
  }
  report(found.length > 0 ? `node swept: ${found.join(", ")}` : "node swept: nothing was left");
}
