// What the node of the cluster e2e changes on the host, and how each change is undone: its
// bridge (with the node's address and the apiserver's Service IP), its cgroup root in every
// cgroup v1 hierarchy, the iptables chains the kubelet makes whatever it is told, the CNI
// plugins' result cache. Every undo is idempotent, so one sweep serves the normal end, Ctrl-C
// and the next run after a SIGKILL.
import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "../../../src/controlplane/exec.js";
import type { NodeNetwork } from "./node-files.js";

/** Runs `command args`, rejecting with its stderr on a non-zero exit. */
export async function must(command: string, args: readonly string[]): Promise<string> {
  const result = await runCommand(command, args, { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** True if `address` is already one of the host's addresses or inside a network it routes directly. */
export async function addressInUse(address: string): Promise<boolean> {
  const route = await runCommand("ip", ["-o", "route", "get", address]);
  // "local 10.0.0.1 dev lo ..." (ours) or "10.0.0.1 dev eth0 src ..." (a connected network: not ours to shadow).
  return route.exitCode === 0 && (/^local /.test(route.stdout) || !/ via /.test(route.stdout));
}

/**
 * Creates the bridge with the gateway address (the node's InternalIP) and each extra address
 * as a /32 (the apiserver's Service IP, which a forwarder of the e2e serves in kube-proxy's
 * stead). Refuses addresses the host already uses or reaches directly.
 */
export async function createBridge(network: NodeNetwork, extraAddresses: readonly string[]): Promise<void> {
  for (const address of [network.gateway, ...extraAddresses]) {
    if (await addressInUse(address)) throw new Error(`${address} is already used or directly routed on this host; the node's network would shadow it`);
  }
  const prefix = network.subnet.split("/")[1] ?? "24";
  await must("ip", ["link", "add", network.bridge, "type", "bridge"]);
  await must("ip", ["addr", "add", `${network.gateway}/${prefix}`, "dev", network.bridge]);
  for (const address of extraAddresses) await must("ip", ["addr", "add", `${address}/32`, "dev", network.bridge]);
  await must("ip", ["link", "set", network.bridge, "up"]);
}

/** Deletes the bridge (and with it its addresses); a missing one is fine. */
export async function deleteBridge(bridge: string): Promise<boolean> {
  const exists = (await runCommand("ip", ["link", "show", bridge])).exitCode === 0;
  if (exists) await must("ip", ["link", "del", bridge]);
  return exists;
}

/**
 * The cgroup hierarchies' mount points: each v1 hierarchy once (cpu,cpuacct mounted twice
 * counts once) and the v2 one of a hybrid setup (`unified`), where the kubelet makes its cgroups too.
 */
export function cgroupHierarchies(mountinfo: string = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const points = new Map<string, string>();
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    const fields = before?.split(" ") ?? [];
    const [fsType, , superOptions] = after?.split(" ") ?? [];
    const point = fields[4];
    if ((fsType !== "cgroup" && fsType !== "cgroup2") || !point || !superOptions) continue;
    // The super options (e.g. rw,cpu,cpuacct) identify a v1 hierarchy; the first mount wins.
    const key = fsType === "cgroup2" ? "cgroup2" : superOptions.split(",").filter((option) => option !== "rw" && option !== "ro").sort().join(",");
    if (!points.has(key)) points.set(key, point);
  }
  return [...points.values()].sort();
}

/** Makes the kubelet's cgroup root in every hierarchy (it refuses a root that does not exist). */
export async function createCgroupRoot(name: string): Promise<void> {
  for (const hierarchy of cgroupHierarchies()) await must("mkdir", ["-p", join(hierarchy, name)]);
}

/**
 * Kills every process left in the cgroup root (a container whose shim died keeps running) and
 * removes its cgroups, deepest first; returns how many processes it killed.
 */
export function removeCgroupRoot(name: string): number {
  let killed = 0;
  for (const hierarchy of cgroupHierarchies()) {
    const root = join(hierarchy, name);
    if (!existsSync(root)) continue;
    const dirs = cgroupTree(root);
    for (const dir of dirs) {
      for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number)) {
        try {
          process.kill(pid, "SIGKILL");
          killed++;
        } catch {
          // gone meanwhile
        }
      }
    }
    for (const dir of dirs) {
      // A cgroup whose killed processes are not reaped yet refuses rmdir for a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
          if (attempt > 50) throw new Error(`cannot remove cgroup ${dir}`, { cause: error });
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    }
  }
  return killed;
}

/** The cgroup folders at and below `root`, deepest first. */
function cgroupTree(root: string): string[] {
  const below = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).flatMap((entry) => cgroupTree(join(root, entry.name)));
  return [...below, root];
}

/**
 * The chains the kubelet creates even with makeIPTablesUtilChains off (its "canary" chains,
 * by which kube-proxy notices a flushed table), by table, and the rules that jump to them.
 */
const kubeletChains: { table: string; chain: string }[] = [
  { table: "mangle", chain: "KUBE-IPTABLES-HINT" },
  { table: "mangle", chain: "KUBE-KUBELET-CANARY" },
  { table: "nat", chain: "KUBE-KUBELET-CANARY" },
  { table: "filter", chain: "KUBE-KUBELET-CANARY" },
  { table: "filter", chain: "KUBE-FIREWALL" },
];

/** Removes the kubelet's iptables chains (IPv4 and IPv6) and every rule jumping to them; returns what it removed. */
export async function removeKubeletChains(): Promise<string[]> {
  const removed: string[] = [];
  for (const tool of ["iptables", "ip6tables"]) {
    for (const { table, chain } of kubeletChains) {
      const rules = await runCommand(tool, ["-w", "-t", table, "-S"]);
      if (rules.exitCode !== 0 || !rules.stdout.split("\n").includes(`-N ${chain}`)) continue;
      for (const rule of rules.stdout.split("\n").filter((line) => line.startsWith("-A ") && line.endsWith(`-j ${chain}`))) {
        await must(tool, ["-w", "-t", table, "-D", ...rule.slice(3).split(" ")]);
      }
      await must(tool, ["-w", "-t", table, "-F", chain]);
      await must(tool, ["-w", "-t", table, "-X", chain]);
      removed.push(`${tool} ${table} ${chain}`);
    }
  }
  return removed;
}

/**
 * libcni's result cache (containerd 1.6 cannot move it): the entries of our network, and those
 * of containerd's own loopback network for our sandboxes (`cni-loopback-<sandbox id>-lo`), go.
 */
export async function removeCniResults(network: string, sandboxIds: readonly string[], cacheDir = "/var/lib/cni/results"): Promise<number> {
  const ours = (name: string): boolean => name.startsWith(`${network}-`) || sandboxIds.some((id) => name.includes(`-${id}-`));
  const entries = existsSync(cacheDir) ? readdirSync(cacheDir).filter(ours) : [];
  await Promise.all(entries.map((name) => rm(join(cacheDir, name), { force: true })));
  return entries.length;
}
