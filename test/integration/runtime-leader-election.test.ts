// Two electors on a real Lease: one leads, the other takes over after release, and the
// apiserver accepts our MicroTime timestamps.
import { describe, expect, vi } from "vitest";
import { createKubeClient, type Lease, LeaderElector, microTime } from "../../src/runtime/index.js";
import { kubeTest as test, kubectlOk, testCluster } from "../support/kube.js";

function candidate(namespace: string, identity: string) {
  const state = { leading: false, transitions: 0 };
  const elector = new LeaderElector({
    kube: createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath }),
    namespace,
    name: "k3-operator",
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    onStartedLeading: () => {
      state.leading = true;
      state.transitions++;
    },
    onStoppedLeading: () => {
      state.leading = false;
    },
  });
  return { elector, state };
}

describe("LeaderElector on a real Lease", () => {
  test("one of two leads; after release the other takes over", async ({ namespace }) => {
    const a = candidate(namespace, "replica-a");
    const b = candidate(namespace, "replica-b");
    a.elector.start();
    await vi.waitFor(() => expect(a.state.leading).toBe(true), { timeout: 10_000 });
    b.elector.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect([a.state.leading, b.state.leading]).toEqual([true, false]);

    const lease = JSON.parse(await kubectlOk(["get", "lease", "k3-operator", "-n", namespace, "-o", "json"])) as Lease;
    expect(lease.spec).toMatchObject({ holderIdentity: "replica-a", leaseDurationSeconds: 3 });
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    await a.elector.stop();
    expect(a.state.leading).toBe(false);
    await vi.waitFor(() => expect(b.state.leading).toBe(true), { timeout: 10_000 });
    const after = JSON.parse(await kubectlOk(["get", "lease", "k3-operator", "-n", namespace, "-o", "json"])) as Lease;
    expect(after.spec?.holderIdentity).toBe("replica-b");
    await b.elector.stop();
  });

  test("a crashed leader (no release) is replaced only once its lease expires", async ({ namespace }) => {
    // A crashed replica leaves a Lease it no longer renews.
    const stale = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "k3-operator", namespace }, spec: { holderIdentity: "crashed-replica", leaseDurationSeconds: 2, renewTime: microTime(new Date()) } };
    await kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(stale) });
    const b = candidate(namespace, "replica-b");
    const started = Date.now();
    b.elector.start();
    await vi.waitFor(() => expect(b.state.leading).toBe(true), { timeout: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const lease = JSON.parse(await kubectlOk(["get", "lease", "k3-operator", "-n", namespace, "-o", "json"])) as Lease;
    expect(lease.spec).toMatchObject({ holderIdentity: "replica-b", leaseTransitions: 1 });
    await b.elector.stop();
  });
});
