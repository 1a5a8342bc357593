// The control plane as a cluster kubelets can join (`startControlPlane({ nodes: true })`):
// kube-scheduler runs (an unschedulable pod gets its verdict), Deployments become ReplicaSets
// and pods, every namespace gets the `kube-root-ca.crt` a pod's token volume projects, and a
// kubelet's identity is limited to its own Node by the Node authorizer and NodeRestriction.
// No kubelet here (that needs root and a container runtime: `npm run e2e:cluster`).
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/control-plane.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { createUserKubeconfig } from "../../src/controlplane/kubeconfig.js";

let plane: ControlPlane;

async function kubectlAs(kubeconfig: string, args: readonly string[], input?: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 60_000 });
}

async function kubectl(args: readonly string[], input?: string): Promise<string> {
  const result = await kubectlAs(plane.kubeconfigPath, args, input);
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(250);
  }
}

const node = (name: string): string => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } });

describe("control plane for nodes", () => {
  beforeAll(async () => {
    plane = await startControlPlane({ nodes: true, report: () => undefined });
  }, 600_000);

  afterAll(async () => {
    await plane?.stop();
  });

  it("runs kube-scheduler and kube-controller-manager beside etcd and the apiserver", () => {
    expect(plane.processes.map((p) => p.name).sort()).toEqual(["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]);
  });

  it("turns a Deployment into a pod that the scheduler judges (no node: FailedScheduling)", async () => {
    await kubectl(["create", "namespace", "apps"]);
    await eventually(async () => ((await kubectlAs(plane.kubeconfigPath, ["-n", "apps", "get", "serviceaccount", "default"])).exitCode === 0 ? true : undefined), 30_000);
    await kubectl(["-n", "apps", "create", "deployment", "web", "--image=example.invalid/none"]);
    const reason = await eventually(async () => {
      const events = JSON.parse(await kubectl(["-n", "apps", "get", "events", "-o", "json"])) as { items: { reason: string; source?: { component?: string }; reportingComponent?: string }[] };
      return events.items.find((e) => e.reason === "FailedScheduling")?.reason;
    }, 60_000);
    expect(reason).toBe("FailedScheduling");
  }, 90_000);

  it("publishes kube-root-ca.crt in every namespace (what a pod's token volume projects)", async () => {
    await kubectl(["create", "namespace", "ca"]);
    const found = await eventually(async () => ((await kubectlAs(plane.kubeconfigPath, ["-n", "ca", "get", "configmap", "kube-root-ca.crt"])).exitCode === 0 ? true : undefined), 30_000);
    expect(found).toBe(true);
  }, 60_000);

  it("lets a kubelet's identity register its own Node and no other", async () => {
    const kubelet = await createUserKubeconfig({ cluster: plane.cluster, user: "system:node:n1", groups: ["system:nodes"] });
    const own = await kubectlAs(kubelet, ["create", "-f", "-"], node("n1"));
    expect(own.stderr).toBe("");
    expect(own.exitCode).toBe(0);
    const other = await kubectlAs(kubelet, ["create", "-f", "-"], node("n2"));
    expect(other.exitCode).not.toBe(0);
    expect(other.stderr).toMatch(/forbidden|cannot modify node n2/i);
  }, 60_000);
});
