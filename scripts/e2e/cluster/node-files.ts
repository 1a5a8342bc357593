// The files that make a node of the cluster e2e, rendered from one layout: containerd's
// configuration (a CRI instance of its own), the CNI network (a bridge the e2e made) and the
// kubelet's configuration. Pure functions, so that what each setting is for is tested and said once.
import { join } from "node:path";
import { stringify } from "yaml";

/** Where everything of the node lives; one fixed folder, so a killed run is swept by the next. */
export interface NodeLayout {
  /** The base folder; every process, mount and file of the node names a path below it. */
  base: string;
  containerdRoot: string;
  containerdState: string;
  containerdConfig: string;
  /** containerd's gRPC socket (its ttrpc socket is this plus `.ttrpc`). */
  containerdSocket: string;
  cniConfDir: string;
  /** host-local IPAM's leases. */
  cniDataDir: string;
  kubeletRoot: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeletCertDir: string;
  /** Container logs (`/var/log/pods` on a usual node). */
  podLogsDir: string;
  /** Logs of containerd and the kubelet: beside the base folder, so they outlive the sweep. */
  logsDir: string;
}

/** The layout under `base`. Paths stay short: unix socket paths are limited to 107 bytes. */
export function nodeLayout(base: string): NodeLayout {
  return {
    base,
    containerdRoot: join(base, "containerd", "root"),
    containerdState: join(base, "containerd", "state"),
    containerdConfig: join(base, "containerd", "config.toml"),
    containerdSocket: join(base, "containerd", "state", "c.sock"),
    cniConfDir: join(base, "cni", "net.d"),
    cniDataDir: join(base, "cni", "data"),
    kubeletRoot: join(base, "kubelet", "root"),
    kubeletConfig: join(base, "kubelet", "config.yaml"),
    kubeletKubeconfig: join(base, "kubelet", "kubeconfig"),
    kubeletCertDir: join(base, "kubelet", "pki"),
    podLogsDir: join(base, "kubelet", "pods"),
    logsDir: `${base}-logs`,
  };
}

/** The node's network: a bridge the e2e creates, its subnet and the gateway address on it. */
export interface NodeNetwork {
  bridge: string;
  /** e.g. `10.244.201.0/24` */
  subnet: string;
  /** The bridge's (the host's) address in the subnet, e.g. `10.244.201.1`: the node's InternalIP. */
  gateway: string;
  /** Addresses outside the subnet that pods reach through the gateway (the apiserver's Service IP). */
  routes: string[];
}

const quote = (value: string): string => JSON.stringify(value);

/**
 * containerd 1.6's configuration for a CRI instance beside any other containerd: own root,
 * state, socket and runc state; no TCP, debug or metrics endpoint; the sandbox image built here;
 * pod network namespaces under its state folder (not /run/netns), so one sweep finds them.
 * `restrict_oom_score_adj` clamps what the kubelet asks (-998 for a sandbox) to containerd's
 * own score: this machine does not let a process lower its oom_score_adj, and runc fails the
 * sandbox otherwise. Snapshotters and plugins that need what is not here are disabled.
 */
export function renderContainerdConfig(layout: NodeLayout, o: { sandboxImage: string; cniBinDir: string }): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "version = 2",
    `root = ${quote(layout.containerdRoot)}`,
    `state = ${quote(layout.containerdState)}`,
    `disabled_plugins = ${JSON.stringify([
      "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
      "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.internal.v1.tracing",
      "io.containerd.tracing.processor.v1.otlp",
    ])}`,
    "[grpc]",
    `  address = ${quote(layout.containerdSocket)}`,
    "[debug]",
    '  address = ""',
    "[metrics]",
    '  address = ""',
    `[${cri}]`,
    `  sandbox_image = ${quote(o.sandboxImage)}`,
    "  restrict_oom_score_adj = true",
    "  netns_mounts_under_state_dir = true",
    "  disable_tcp_service = true",
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    "  disable_apparmor = true",
    `[${cri}.cni]`,
    `  bin_dir = ${quote(o.cniBinDir)}`,
    `  conf_dir = ${quote(layout.cniConfDir)}`,
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    "  SystemdCgroup = false",
    `  Root = ${quote(join(layout.containerdState, "runc"))}`,
    "",
  ].join("\n");
}

/**
 * The CNI network list: Debian's bridge plugin on the e2e's bridge, host-local addresses with
 * their leases in the node's folder, and loopback. No default route and no masquerading: a pod
 * reaches its subnet and the listed routes through the gateway, and nothing beyond the host.
 */
export function renderCniConfig(layout: NodeLayout, network: NodeNetwork): string {
  return `${JSON.stringify({
    cniVersion: "0.4.0",
    name: network.bridge,
    plugins: [
      {
        type: "bridge",
        bridge: network.bridge,
        // The e2e puts the gateway address on the bridge itself (it is the node's address).
        isGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: network.subnet, gateway: network.gateway }]],
          routes: network.routes.map((dst) => ({ dst, gw: network.gateway })),
          dataDir: layout.cniDataDir,
        },
      },
      { type: "loopback" },
    ],
  }, null, 2)}\n`;
}

/**
 * The kubelet's configuration: cgroup v1 accepted (`failCgroupV1: false`), cgroupfs below a
 * cgroup root of its own, the API on the node's address with a free port (the apiserver
 * authenticates with the cluster CA's admin certificate), healthz on loopback, no read-only
 * port, no iptables rules of its own, no image garbage collection or disk evictions (nothing
 * could be pulled again), no DNS for pods (an empty resolv.conf: nothing leaves the host).
 */
export function renderKubeletConfig(layout: NodeLayout, o: { address: string; port: number; healthzPort: number; clientCaFile: string; cgroupRoot: string }): string {
  return stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    failCgroupV1: false,
    failSwapOn: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: o.cgroupRoot,
    address: o.address,
    port: o.port,
    healthzBindAddress: "127.0.0.1",
    healthzPort: o.healthzPort,
    readOnlyPort: 0,
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    podLogsDir: layout.podLogsDir,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: o.clientCaFile } },
    authorization: { mode: "AlwaysAllow" },
    makeIPTablesUtilChains: false,
    oomScoreAdj: 0,
    evictionHard: { "memory.available": "1Mi" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    resolvConf: "",
    serializeImagePulls: false,
    registerNode: true,
    enableServer: true,
  });
}
