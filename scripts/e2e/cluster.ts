// `npm run e2e:cluster`: the chart in a cluster with a node, as a platform team installs it.
// The local control plane becomes a cluster (kube-controller-manager, kube-scheduler, the Node
// authorizer) with one node: a containerd CRI instance of its own and a kubelet, pods on a
// bridge the e2e makes (scripts/e2e/cluster/). The pause and operator images are built here
// and imported. Then, as a user: a namespace with Pod Security `restricted` enforced (a
// host-network pod is shown refused), `helm install`, the pod Ready through its probes, the
// examples reconciled, `helm upgrade` rolling the Deployment while the Lease is watched,
// the examples deleted and `helm uninstall` leaving no finalizer behind. Everything is undone
// at the end, on Ctrl-C, and (after a SIGKILL) at the start of the next run.
// Pods reach the apiserver at its Service IP and the emulator at the node's address through
// forwarders of this process to loopback: traffic stays on loopback and the e2e's bridge.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pino from "pino";
import { parseAllDocuments, stringify } from "yaml";
import { ensureClusterBinaries } from "../../src/controlplane/build.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/control-plane.js";
import { withFileLock } from "../../src/controlplane/file-lock.js";
import { helmTemplate } from "../../src/controlplane/helm.js";
import { cacheDir } from "../../src/controlplane/versions.js";
import { startEmulator } from "../../src/emulator/index.js";
import { loadExamples, readyKinds, selectExamples, toYamlStream } from "../local/examples.js";
import { notReady, type ListedObject } from "../local/status.js";
import { Cleanups } from "./cleanups.js";
import { startForwarder } from "./cluster/forward.js";
import { loadNodeImages, type ImageFigures } from "./cluster/images.js";
import { apiReader, helm, kubectl, kubectlResult, until, type ApiReader } from "./cluster/kube.js";
import { leaseGaps, type LeaseGaps, type LeaseSample } from "./cluster/lease.js";
import { nodeLayout, type NodeNetwork } from "./cluster/node-files.js";
import { cgroupHierarchies } from "./cluster/host.js";
import { createNodeNetwork, startContainerd, startKubelet, sweepNode } from "./cluster/node.js";
import { mountsUnder, processesUnder } from "./docker-engine.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const chartDir = join(root, "deploy/helm/k3-operator");
const release = "k3-operator";
const operatorNamespace = "k3-system";
const examplesNamespace = "e2e";
const tenant = "e2e";
const operatorTag = "k3-operator:e2e";
const pauseTag = "k3-operator-e2e/pause:1";
const nodeName = "k3-e2e-node";
const cgroupRoot = "k3-e2e";
/** Fixed (the run lock makes it ours), so that a run killed with SIGKILL is swept by the next. */
const layout = nodeLayout("/tmp/k3-e2e-node");
const network: NodeNetwork = { bridge: "k3e2e0", subnet: "10.244.201.0/24", gateway: "10.244.201.1", routes: ["10.0.0.1/32"] };
/** The `kubernetes` Service's ClusterIP and port (the control plane's service range is 10.0.0.0/24). */
const apiService = { host: "10.0.0.1", port: 443 };

function say(message: string): void {
  process.stdout.write(`[e2e:cluster] ${message}\n`);
}

/** Fails the run with `message` unless `condition` holds. */
function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const seconds = (fromMs: number): number => Math.round((Date.now() - fromMs) / 100) / 10;

/** What the run measured; printed, and written as JSON with --out. */
interface Figures {
  date: string;
  images: ImageFigures;
  /** Seconds from starting the control plane to the node Ready. */
  nodeReadySeconds: number;
  install: { podReadySeconds: number; examplesReadySeconds: number; examples: number; memoryBytes?: number };
  podSecurity: { enforced: string; hostNetworkRefused: string };
  upgrade: { rolloutSeconds: number; leaseDurationSeconds: number; handoverSecondsAfterUpgrade: Record<string, number | undefined> } & Omit<LeaseGaps, "handover">;
  uninstall: { examplesDeletedSeconds: number; uninstallSeconds: number; k3ObjectsLeft: number };
  forwarded: { apiserverConnections: number; emulatorConnections: number };
  containerLogs: string;
  teardownSeconds?: number;
}

type Doc = { kind: string; metadata: { name: string } } & Record<string, unknown>;

interface PodList { items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }[] }

const podReady = (pod: PodList["items"][number]): boolean => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true && !pod.metadata.deletionTimestamp;

async function operatorPods(api: ApiReader): Promise<PodList["items"]> {
  const list = await api.get<PodList>(`/api/v1/namespaces/${operatorNamespace}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${release}`)}`);
  return list?.items ?? [];
}

async function examplesNotReady(kubeconfig: string, wanted: { kind: string; name: string; expectedReason?: string }[]): Promise<string[]> {
  const list = JSON.parse(await kubectl(kubeconfig, ["get", "k3", "-n", examplesNamespace, "-o", "json"])) as { items: ListedObject[] };
  return notReady(wanted, list.items);
}

/** The pod's memory from its cgroup (v1), as the kubelet accounts it. */
async function podMemoryBytes(uid: string): Promise<number | undefined> {
  for (const qos of ["burstable", "besteffort", ""]) {
    const file = join("/sys/fs/cgroup/memory", cgroupRoot, "kubepods", qos, `pod${uid}`, "memory.usage_in_bytes");
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined) return Number(text.trim());
  }
  return undefined;
}

/** The pod spec of the chart's Deployment with `hostNetwork: true`, as a Pod: what `restricted` must refuse. */
async function hostNetworkPod(values: Record<string, string>): Promise<string> {
  const docs = parseAllDocuments(await helmTemplate({ chartDir, release, namespace: operatorNamespace, set: { ...values, hostNetwork: "true" } })).map((doc) => doc.toJS() as Doc | null);
  const deployment = docs.find((doc) => doc?.kind === "Deployment") as { spec: { template: { spec: unknown } } } | undefined;
  check(deployment !== undefined, "the chart renders a Deployment");
  return stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "k3-operator-host-network", namespace: operatorNamespace }, spec: deployment.spec.template.spec });
}

async function e2e(o: { cleanups: Cleanups; work: string }): Promise<Figures> {
  const { cleanups, work } = o;
  const binaries = await ensureClusterBinaries({ report: (m) => say(`build: ${m}`) });

  const containerd = await startContainerd({ layout, sandboxImage: pauseTag, network, report: say });
  cleanups.add("containerd", () => containerd.stop());
  const images = await loadNodeImages({ containerd, operatorTag, pauseTag, work, report: say });

  await createNodeNetwork(network, [apiService.host]);
  say(`bridge ${network.bridge}: ${network.gateway} (the node's address) and ${apiService.host} (the apiserver's Service IP)`);
  const planeStarted = Date.now();
  const plane: ControlPlane = await startControlPlane({ nodes: true, report: (m) => say(`control plane: ${m}`) });
  cleanups.add("control plane", () => plane.stop());
  const kubeconfig = plane.kubeconfigPath;
  const api = await apiReader(plane.server, plane.pkiDir);
  const kubelet = await startKubelet({ layout, kubelet: binaries.kubelet, nodeName, network, cluster: plane.cluster, cgroupRoot, report: say });
  cleanups.add("kubelet", () => kubelet.stop());
  await until(`node ${nodeName} Ready (kubelet log: ${kubelet.logFile})`, 120_000, async () => {
    const node = await api.get<{ spec?: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } }>(`/api/v1/nodes/${nodeName}`);
    const ready = node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    return ready && (node?.spec?.taints ?? []).length === 0 ? true : undefined;
  });
  const nodeReadySeconds = seconds(planeStarted);
  say(`node ${nodeName} Ready and untainted ${nodeReadySeconds} s after the control plane started`);

  const emulator = await startEmulator({ host: "127.0.0.1", timeScale: 0.05, logger: pino({ level: "warn" }) });
  cleanups.add("emulator", () => emulator.stop());
  const apiForward = await startForwarder(apiService, Number(new URL(plane.server).port));
  cleanups.add("apiserver forwarder", () => apiForward.close());
  const emulatorForward = await startForwarder({ host: network.gateway, port: 0 }, emulator.port);
  cleanups.add("emulator forwarder", () => emulatorForward.close());
  say(`emulator on ${emulator.address}, reached by pods at ${emulatorForward.address}; apiserver at ${apiForward.address}`);

  // As a user: the namespace with Pod Security restricted enforced, the token Secret, the chart.
  await kubectl(kubeconfig, ["create", "namespace", operatorNamespace]);
  await kubectl(kubeconfig, ["label", "namespace", operatorNamespace, "pod-security.kubernetes.io/enforce=restricted", "pod-security.kubernetes.io/enforce-version=latest"]);
  await kubectl(kubeconfig, ["-n", operatorNamespace, "create", "secret", "generic", "k3-operator-token", `--from-literal=token=${emulator.mintToken({ tenant, ttlSeconds: 7200 })}`]);
  const values: Record<string, string> = {
    "image.repository": operatorTag.split(":")[0] ?? "",
    "image.tag": operatorTag.split(":")[1] ?? "",
    "image.pullPolicy": "Never",
    "k3.endpoint": emulatorForward.address,
    "k3.insecure": "true",
  };
  const setFlags = Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${value}`]);

  const installStarted = Date.now();
  say(`helm install ${release} ${setFlags.join(" ")}`);
  await helm(kubeconfig, ["install", release, chartDir, "-n", operatorNamespace, ...setFlags, "--wait", "--timeout", "3m"]);
  const [pod] = (await operatorPods(api)).filter(podReady);
  check(pod !== undefined, "helm install --wait ends with a Ready operator pod");
  const podReadySeconds = seconds(installStarted);
  say(`pod ${pod.metadata.name} Ready through its probes ${podReadySeconds} s after helm install began`);

  // The same pod on the host network (the chart value) is what restricted refuses (its ServiceAccount exists now).
  const refusal = await kubectlResult(kubeconfig, ["apply", "--dry-run=server", "-f", "-"], await hostNetworkPod(values));
  check(refusal.exitCode !== 0 && /violates PodSecurity "restricted:latest"/.test(refusal.output) && /hostNetwork=true/.test(refusal.output),
    `restricted refuses the chart's pod with hostNetwork=true (got exit ${refusal.exitCode}: ${refusal.output.trim()})`);
  const hostNetworkRefused = refusal.output.trim().split("\n").find((line) => /hostNetwork/.test(line)) ?? refusal.output.trim();
  say(`restricted enforced on ${operatorNamespace}; the chart with hostNetwork=true is refused: ${hostNetworkRefused}`);


  const { apply } = selectExamples(await loadExamples(join(root, "examples")), readyKinds);
  const crs = apply.filter((doc) => doc.kind.startsWith("K3"));
  await kubectl(kubeconfig, ["create", "namespace", examplesNamespace]);
  await kubectl(kubeconfig, ["apply", "-n", examplesNamespace, "-f", "-"], toYamlStream(apply));
  let missing: string[] = [];
  await until("the examples to be Ready", 180_000, async () => {
    missing = await examplesNotReady(kubeconfig, crs);
    return missing.length === 0 ? true : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${missing.join("; ")}`);
  });
  const examplesReadySeconds = seconds(installStarted);
  say(`all ${crs.length} example objects settled ${examplesReadySeconds} s after helm install began`);
  process.stdout.write(`${(await kubectl(kubeconfig, ["get", "k3", "-n", examplesNamespace])).trimEnd()}\n`);
  check(apiForward.connections() > 0 && emulatorForward.connections() > 0, "the pod reached the apiserver at its Service IP and the emulator through the bridge");
  const memoryBytes = await podMemoryBytes(pod.metadata.uid);

  // kubectl logs goes apiserver → kubelet at the node's InternalIP; the file is the fallback.
  const logs = await kubectlResult(kubeconfig, ["-n", operatorNamespace, "logs", pod.metadata.name, "--tail=3"]);
  const containerLogs = logs.exitCode === 0 && logs.output.trim() !== "" ? "kubectl logs" : `only in ${layout.podLogsDir} (kubectl logs: ${logs.output.trim()})`;
  say(`container logs: ${containerLogs}`);

  // helm upgrade: a new pod template, so the Deployment rolls; the Lease is sampled meanwhile.
  // Every renewal is an update of the Lease: a watch sees each one (polling could miss some).
  type Lease = { spec?: { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseDurationSeconds?: number } };
  const samples: LeaseSample[] = [];
  const time = (value: string | undefined): number | undefined => (value ? Date.parse(value) : undefined);
  const leaseWatch = api.watch<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${operatorNamespace}/leases?fieldSelector=${encodeURIComponent(`metadata.name=${release}`)}`, (lease) => {
    samples.push({ at: Date.now(), holder: lease.spec?.holderIdentity ?? "", renewTime: time(lease.spec?.renewTime), acquireTime: time(lease.spec?.acquireTime), durationSeconds: lease.spec?.leaseDurationSeconds });
  });
  let watchingPod = true;
  let oldPodTerminating: number | undefined;
  const podWatch = (async () => {
    while (watchingPod && oldPodTerminating === undefined) {
      // null: the read failed (unknown); undefined: the pod is gone (404).
      const old = await api.get<PodList["items"][number]>(`/api/v1/namespaces/${operatorNamespace}/pods/${pod.metadata.name}`).catch(() => null);
      if (old === undefined || old?.metadata.deletionTimestamp) oldPodTerminating = Date.now();
      await sleep(250);
    }
  })();
  const upgradeStarted = Date.now();
  await helm(kubeconfig, ["upgrade", release, chartDir, "-n", operatorNamespace, ...setFlags, "--set", `podAnnotations.e2e-rollout=r${Date.now()}`, "--wait", "--timeout", "3m"]);
  const rolled = await until("the old pod to be gone and a new one Ready", 120_000, async () => {
    const pods = await operatorPods(api);
    const ready = pods.filter(podReady);
    return pods.length === 1 && ready.length === 1 && ready[0]?.metadata.name !== pod.metadata.name ? ready[0] : undefined;
  });
  const rolloutSeconds = seconds(upgradeStarted);
  await until("the new pod to hold the Lease", 60_000, () => Promise.resolve(samples.at(-1)?.holder.startsWith(rolled.metadata.name) ? true : undefined), 250);
  await sleep(3_000);
  watchingPod = false;
  await podWatch;
  const watchFailure = await leaseWatch.stop();
  if (watchFailure) throw new Error("the Lease watch broke: renewals may have been missed", { cause: watchFailure });
  const gaps = leaseGaps(samples);
  // The duration the holders wrote (the chart's leaderElection.leaseDuration); a release writes 1.
  const leaseDurationSeconds = samples.find((sample) => sample.holder !== "")?.durationSeconds ?? 15;
  // The raw samples stay beside the node's logs: a gap is read from them.
  await writeFile(join(layout.logsDir, "lease-samples.json"), `${JSON.stringify(samples.map((sample) => ({ ...sample, at: sample.at - upgradeStarted, renewTime: sample.renewTime === undefined ? undefined : sample.renewTime - upgradeStarted })))}\n`);
  const relative = (at: number | undefined): number | undefined => (at === undefined ? undefined : Math.round((at - upgradeStarted) / 100) / 10);
  const handover = {
    oldPodTerminating: relative(oldPodTerminating),
    lastRenewal: relative(gaps.handover?.lastRenewal),
    releasedSeen: relative(gaps.handover?.releasedSeen),
    acquired: relative(gaps.handover?.acquired),
  };
  say(`Lease handover, seconds after helm upgrade began: old pod terminating ${handover.oldPodTerminating}, its last renewal ${handover.lastRenewal}, released seen ${handover.releasedSeen}, new holder acquired ${handover.acquired}`);
  say(`helm upgrade rolled ${pod.metadata.name} → ${rolled.metadata.name} in ${rolloutSeconds} s; Lease holders ${gaps.holders.join(" → ")}; longest renewal gap ${gaps.maxRenewGapSeconds} s, longest unheld ${gaps.maxUnheldSeconds} s (${samples.length} samples)`);
  check(gaps.holders.length >= 2 && gaps.holders[0]?.startsWith(pod.metadata.name) === true && gaps.holders.at(-1)?.startsWith(rolled.metadata.name) === true, `the Lease passed from the old pod to the new one (holders: ${gaps.holders.join(", ")})`);
  check(gaps.maxRenewGapSeconds < leaseDurationSeconds && gaps.maxUnheldSeconds < leaseDurationSeconds, `the Lease was never without a live holder for its duration (${leaseDurationSeconds} s)`);
  const afterUpgrade = await examplesNotReady(kubeconfig, crs);
  check(afterUpgrade.length === 0, `the examples stay settled across the upgrade: ${afterUpgrade.join("; ")}`);

  // Uninstall as the README says: the objects first (the operator runs their finalizers), then the chart.
  let started = Date.now();
  await kubectl(kubeconfig, ["delete", "-n", examplesNamespace, "k3ingestjobs,k3ingestrules,k3pipelines,k3sources", "--all", "--wait=true", "--timeout=120s"]);
  const examplesDeletedSeconds = seconds(started);
  started = Date.now();
  await helm(kubeconfig, ["uninstall", release, "-n", operatorNamespace, "--wait", "--timeout", "2m"]);
  await until("the operator pod to be gone", 60_000, async () => ((await operatorPods(api)).length === 0 ? true : undefined));
  const uninstallSeconds = seconds(started);
  const left = JSON.parse(await kubectl(kubeconfig, ["get", "k3", "-A", "-o", "json"])) as { items: ListedObject[] };
  check(left.items.length === 0, `no K3 object is left after uninstall (found ${left.items.length})`);
  await kubectl(kubeconfig, ["delete", "namespace", examplesNamespace, operatorNamespace, "--wait=true", "--timeout=60s"]);
  say(`examples deleted in ${examplesDeletedSeconds} s (finalizers run by the operator), helm uninstall in ${uninstallSeconds} s; no K3 object left, both namespaces gone`);

  return {
    date: new Date().toISOString(),
    images,
    nodeReadySeconds,
    install: { podReadySeconds, examplesReadySeconds, examples: crs.length, memoryBytes },
    podSecurity: { enforced: "restricted:latest", hostNetworkRefused },
    upgrade: { rolloutSeconds, leaseDurationSeconds, holders: gaps.holders, maxRenewGapSeconds: gaps.maxRenewGapSeconds, maxUnheldSeconds: gaps.maxUnheldSeconds, handoverSecondsAfterUpgrade: handover },
    uninstall: { examplesDeletedSeconds, uninstallSeconds, k3ObjectsLeft: left.items.length },
    forwarded: { apiserverConnections: apiForward.connections(), emulatorConnections: emulatorForward.connections() },
    containerLogs,
  };
}

/** Fails unless nothing of the node is left: no process, mount, bridge or cgroup. */
function checkNothingLeft(): void {
  const processes = processesUnder(layout.base);
  const mounts = mountsUnder([layout.base]);
  const bridge = existsSync(`/sys/class/net/${network.bridge}`);
  const cgroup = cgroupHierarchies().some((hierarchy) => existsSync(join(hierarchy, cgroupRoot)));
  check(processes.length === 0 && mounts.length === 0 && !bridge && !cgroup,
    `nothing of the node is left (processes ${processes.join(",") || "none"}, mounts ${mounts.length}, bridge ${bridge}, cgroup ${cgroup})`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("usage: npm run e2e:cluster [-- --out FILE.json]   (root; Debian's docker.io, debootstrap and containernetworking-plugins: bash scripts/e2e/install-deps.sh)\n");
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("[e2e:cluster] needs root: it runs containerd and a kubelet, makes a bridge and cgroups\n");
    return 2;
  }
  const lockDir = join(cacheDir(), "cluster");
  await mkdir(lockDir, { recursive: true });
  return withFileLock(join(lockDir, "run.lock"), async () => {
    const work = await mkdtemp(join(tmpdir(), "k3-e2e-cluster-"));
    const cleanups = new Cleanups("e2e:cluster");
    const sweep = (): Promise<void> => sweepNode({ layout, bridge: network.bridge, cgroupRoot, report: say });
    cleanups.add("work folder", () => rm(work, { recursive: true, force: true }));
    cleanups.add("node sweep", sweep);
    // Ctrl-C: the same cleanups (the control plane's own exit hook has killed its processes already).
    let interrupted = false;
    const onSignal = (name: NodeJS.Signals): void => {
      if (interrupted) return;
      interrupted = true;
      say(`${name}: tearing everything down`);
      void cleanups.runAll().then(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let code = 1;
    try {
      await sweep();
      const figures = await e2e({ cleanups, work });
      const teardownStarted = Date.now();
      if (!(await cleanups.runAll())) throw new Error("the teardown failed");
      checkNothingLeft();
      figures.teardownSeconds = seconds(teardownStarted);
      say(`torn down in ${figures.teardownSeconds} s: no process, mount, bridge or cgroup of the node left`);
      process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
      if (values.out) {
        await writeFile(values.out, `${JSON.stringify(figures, null, 2)}\n`);
        say(`figures written to ${values.out}`);
      }
      code = 0;
    } catch (error) {
      process.stderr.write(`[e2e:cluster] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
      say(`logs: ${layout.logsDir} (containerd, kubelet)`);
    }
    if (!(await cleanups.runAll())) code = 1;
    say(code === 0 ? "passed" : "failed");
    return code;
  }, { onWait: (pid) => say(`waiting for pid ${pid}, another cluster e2e`) });
}

process.exit(await main());
