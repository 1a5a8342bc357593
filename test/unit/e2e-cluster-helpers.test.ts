// The pure parts of the cluster e2e: the node's configuration files say what the machine needs
// (cgroup v1, a clamped oom_score_adj, no route beyond the host), the cgroup hierarchies are
// found once each, and the Lease handover is measured so that a lost Lease shows.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Cleanups } from "../../scripts/e2e/cleanups.js";
import { cgroupHierarchies } from "../../scripts/e2e/cluster/host.js";
import { leaseGaps, type LeaseSample } from "../../scripts/e2e/cluster/lease.js";
import { nodeLayout, renderCniConfig, renderContainerdConfig, renderKubeletConfig, type NodeNetwork } from "../../scripts/e2e/cluster/node-files.js";

const layout = nodeLayout("/tmp/k3-e2e-node");
const network: NodeNetwork = { bridge: "k3e2e0", subnet: "10.244.201.0/24", gateway: "10.244.201.1", routes: ["10.0.0.1/32"] };

describe("node files", () => {
  it("containerd runs the CRI on its own socket, root and state, with the oom_score_adj clamp and the local sandbox image", () => {
    const config = renderContainerdConfig(layout, { sandboxImage: "k3-operator-e2e/pause:1", cniBinDir: "/usr/lib/cni" });
    for (const line of [
      'root = "/tmp/k3-e2e-node/containerd/root"',
      'state = "/tmp/k3-e2e-node/containerd/state"',
      '  address = "/tmp/k3-e2e-node/containerd/state/c.sock"',
      "  restrict_oom_score_adj = true",
      "  netns_mounts_under_state_dir = true",
      '  sandbox_image = "k3-operator-e2e/pause:1"',
      '  conf_dir = "/tmp/k3-e2e-node/cni/net.d"',
      '  Root = "/tmp/k3-e2e-node/containerd/state/runc"',
    ]) expect(config.split("\n")).toContain(line);
    // Every path it names is below the base folder, so that one sweep finds them all.
    for (const path of config.match(/"\/[^"]*"/g) ?? []) expect(path.startsWith('"/tmp/k3-e2e-node/') || path === '"/usr/lib/cni"').toBe(true);
  });

  it("the CNI network routes only the subnet and the listed addresses, and masquerades nothing", () => {
    const config = JSON.parse(renderCniConfig(layout, network)) as { plugins: { type: string; ipMasq?: boolean; isGateway?: boolean; ipam?: { routes: { dst: string; gw: string }[]; dataDir: string } }[] };
    const bridge = config.plugins.find((plugin) => plugin.type === "bridge");
    expect(bridge).toMatchObject({ ipMasq: false, isGateway: false, ipam: { routes: [{ dst: "10.0.0.1/32", gw: "10.244.201.1" }], dataDir: "/tmp/k3-e2e-node/cni/data" } });
    expect(bridge?.ipam?.routes.some((route) => route.dst === "0.0.0.0/0")).toBe(false);
    expect(config.plugins.map((plugin) => plugin.type)).toEqual(["bridge", "loopback"]);
  });

  it("the kubelet accepts cgroup v1, keeps its API on the node's address and touches no iptables or DNS", () => {
    const config = parse(renderKubeletConfig(layout, { address: "10.244.201.1", port: 40000, healthzPort: 40001, clientCaFile: "/pki/ca.crt", cgroupRoot: "/k3-e2e" })) as Record<string, unknown>;
    expect(config).toMatchObject({
      failCgroupV1: false,
      cgroupRoot: "/k3-e2e",
      address: "10.244.201.1",
      port: 40000,
      healthzBindAddress: "127.0.0.1",
      readOnlyPort: 0,
      makeIPTablesUtilChains: false,
      resolvConf: "",
      containerRuntimeEndpoint: "unix:///tmp/k3-e2e-node/containerd/state/c.sock",
      podLogsDir: "/tmp/k3-e2e-node/kubelet/pods",
      authentication: { anonymous: { enabled: false }, x509: { clientCAFile: "/pki/ca.crt" } },
    });
  });

  it("logs live beside the base folder, so they outlive the sweep", () => {
    expect(layout.logsDir.startsWith(`${layout.base}/`)).toBe(false);
  });
});

describe("cgroupHierarchies", () => {
  const mountinfo = [
    "30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw",
    "33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory",
    "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
    "35 30 0:30 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
    "36 30 0:31 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd",
  ].join("\n");

  it("lists each v1 hierarchy once (a hierarchy mounted twice counts once) and the hybrid setup's cgroup2, but no tmpfs", () => {
    expect(cgroupHierarchies(mountinfo)).toEqual(["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]);
  });
});

describe("leaseGaps", () => {
  const t0 = 1_000_000;
  /** A holder renewing every 2 s from `from` to `to` (seconds), sampled every second. */
  const renewing = (holder: string, from: number, to: number, acquired = from): LeaseSample[] =>
    Array.from({ length: to - from + 1 }, (_, i) => ({
      at: t0 + (from + i) * 1000,
      holder,
      renewTime: t0 + (from + i - ((from + i) % 2)) * 1000,
      acquireTime: t0 + acquired * 1000,
      durationSeconds: 15,
    }));

  it.each([
    {
      reason: "a release and a quick take-over: short gaps, handover times in order",
      samples: [...renewing("old", 0, 10), { at: t0 + 11_000, holder: "", renewTime: t0 + 11_000, durationSeconds: 1 }, ...renewing("new", 12, 16)],
      holders: ["old", "new"],
      maxRenewGapSeconds: 2,
      maxUnheldSeconds: 1,
      handover: { lastRenewal: t0 + 10_000, releasedSeen: t0 + 11_000, acquired: t0 + 12_000 },
    },
    {
      // The dead leader's record counts as live until it expires, so only the renewal gap shows the loss.
      reason: "a leader that died without releasing: the renewal gap shows the Lease lost for its whole duration",
      samples: [...renewing("old", 0, 10), ...Array.from({ length: 15 }, (_, i) => ({ at: t0 + (11 + i) * 1000, holder: "old", renewTime: t0 + 10_000, acquireTime: t0, durationSeconds: 15 })), ...renewing("new", 26, 30)],
      holders: ["old", "new"],
      maxRenewGapSeconds: 16,
      maxUnheldSeconds: 0,
      handover: { lastRenewal: t0 + 10_000, releasedSeen: undefined, acquired: t0 + 26_000 },
    },
    {
      reason: "one holder throughout: no handover",
      samples: renewing("only", 0, 10),
      holders: ["only"],
      maxRenewGapSeconds: 2,
      maxUnheldSeconds: 0,
      handover: undefined,
    },
  ])("$reason", ({ samples, holders, maxRenewGapSeconds, maxUnheldSeconds, handover }) => {
    expect(leaseGaps(samples)).toEqual({ holders, maxRenewGapSeconds, maxUnheldSeconds, handover });
  });
});

describe("Cleanups", () => {
  it("a second runAll during a run (Ctrl-C during the teardown) joins it: each step once, in reverse order, a failure does not stop the rest", async () => {
    const cleanups = new Cleanups("test");
    const ran: string[] = [];
    const step = (name: string, fail = false) => async (): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      ran.push(name);
      if (fail) throw new Error(`${name} failed`);
    };
    cleanups.add("sweep", step("sweep"));
    cleanups.add("containerd", step("containerd", true));
    cleanups.add("kubelet", step("kubelet"));
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = () => true;
    try {
      const results = await Promise.all([cleanups.runAll(), cleanups.runAll()]);
      expect(results).toEqual([false, false]);
    } finally {
      process.stderr.write = stderr;
    }
    expect(ran).toEqual(["kubelet", "containerd", "sweep"]);
    expect(await cleanups.runAll()).toBe(true);
  });
});
