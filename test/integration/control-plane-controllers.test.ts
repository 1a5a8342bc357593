// The control plane's opt-in controllers (`startControlPlane({ controllers: true })`): with
// kube-controller-manager running, deleted namespaces go, owner references are collected,
// and pods get their namespace's default ServiceAccount through the admission plugin.
// A control plane of its own: the suite's shared one runs without controllers, as envtest.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/control-plane.js";
import { runCommand } from "../../src/controlplane/exec.js";

let plane: ControlPlane;

async function kubectl(args: readonly string[], input?: string): Promise<string> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", plane.kubeconfigPath, ...args], { input, timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Polls until `kubectl get` of the object says NotFound; false if it is still there at the deadline. */
async function goneWithin(args: readonly string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await runCommand(kubectlPath(), ["--kubeconfig", plane.kubeconfigPath, "get", ...args], { timeoutMs: 30_000 });
    if (result.exitCode !== 0 && /NotFound|not found/.test(result.stderr)) return true;
    await sleep(250);
  }
  return false;
}

describe("control plane with controllers", () => {
  beforeAll(async () => {
    plane = await startControlPlane({ controllers: true, report: () => undefined });
  }, 600_000);

  afterAll(async () => {
    await plane?.stop();
  });

  it("runs kube-controller-manager beside etcd and the apiserver", () => {
    expect(plane.processes.map((p) => p.name).sort()).toEqual(["etcd", "kube-apiserver", "kube-controller-manager"]);
  });

  it("collects an object whose owner was deleted", async () => {
    await kubectl(["create", "namespace", "gc"]);
    await kubectl(["-n", "gc", "create", "configmap", "owner"]);
    const uid = (await kubectl(["-n", "gc", "get", "configmap", "owner", "-o", "jsonpath={.metadata.uid}"])).trim();
    const dependent = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dependent", namespace: "gc", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid }] } };
    await kubectl(["apply", "-f", "-"], JSON.stringify(dependent));
    await kubectl(["-n", "gc", "delete", "configmap", "owner", "--wait=false"]);
    expect(await goneWithin(["-n", "gc", "configmap", "dependent"], 60_000)).toBe(true);
  }, 90_000);

  it("empties and removes a deleted namespace instead of leaving it Terminating", async () => {
    await kubectl(["create", "namespace", "doomed"]);
    await kubectl(["-n", "doomed", "create", "configmap", "content"]);
    await kubectl(["delete", "namespace", "doomed", "--wait=false"]);
    expect(await goneWithin(["namespace", "doomed"], 90_000)).toBe(true);
  }, 120_000);

  it("gives each namespace a default ServiceAccount and admits pods with its token mounted", async () => {
    await kubectl(["create", "namespace", "pods"]);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "pods" }, spec: { containers: [{ name: "c", image: "example.invalid/none" }] } };
    // The ServiceAccount admission plugin refuses pods until the controller made `default`.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = await runCommand(kubectlPath(), ["--kubeconfig", plane.kubeconfigPath, "create", "-f", "-"], { input: JSON.stringify(pod), timeoutMs: 30_000 });
      if (result.exitCode === 0) break;
      if (Date.now() > deadline) throw new Error(`pod not admitted: ${result.stderr.trim()}`);
      await sleep(250);
    }
    const admitted = JSON.parse(await kubectl(["-n", "pods", "get", "pod", "p", "-o", "json"])) as {
      spec: { serviceAccountName?: string; volumes?: { name: string; projected?: unknown }[] };
    };
    expect(admitted.spec.serviceAccountName).toBe("default");
    expect(admitted.spec.volumes?.some((v) => v.name.startsWith("kube-api-access-") && v.projected !== undefined)).toBe(true);
  }, 60_000);
});
