import { describe, expect, it } from "vitest";
import { notReady, renderHeader, withoutAges, type ListedObject } from "../../scripts/local/status.js";

const listed = (name: string, ready?: { status: string; reason?: string; message?: string }): ListedObject => ({
  kind: "K3Pipeline",
  metadata: { name, namespace: "k3-demo" },
  status: ready ? { conditions: [{ type: "Synced", status: "True" }, { type: "Ready", ...ready }] } : {},
});

describe("notReady", () => {
  it.each([
    { reason: "Ready=True counts as ready", objects: [listed("a", { status: "True" })], expected: [] },
    { reason: "a missing object is named", objects: [], expected: ["K3Pipeline a (not found)"] },
    { reason: "an object not reconciled yet has no Ready condition", objects: [listed("a")], expected: ["K3Pipeline a (no Ready condition yet)"] },
    {
      reason: "Ready=False shows its reason and message",
      objects: [listed("a", { status: "False", reason: "TemplateNotFound", message: "no template x" })],
      expected: ["K3Pipeline a (Ready=False TemplateNotFound: no template x)"],
    },
    {
      reason: "another kind of the same name does not count",
      objects: [{ ...listed("a", { status: "True" }), kind: "K3Source" }],
      expected: ["K3Pipeline a (not found)"],
    },
  ])("$reason", ({ objects, expected }) => {
    expect(notReady([{ kind: "K3Pipeline", name: "a" }], objects)).toEqual(expected);
  });
});

describe("notReady: documented failures and runs", () => {
  const job = (conditions: { type: string; status: string; reason?: string; message?: string }[]): ListedObject => ({ kind: "K3IngestJob", metadata: { name: "j" }, status: { conditions } });
  it.each([
    { reason: "a documented Ready=False reason counts as settled", wanted: { kind: "K3Pipeline", name: "a", expectedReason: "NotFound" }, objects: [listed("a", { status: "False", reason: "NotFound" })], expected: [] },
    { reason: "another Ready=False reason does not", wanted: { kind: "K3Pipeline", name: "a", expectedReason: "NotFound" }, objects: [listed("a", { status: "False", reason: "Creating" })], expected: ["K3Pipeline a (Ready=False Creating)"] },
    { reason: "a run is settled when Complete", wanted: { kind: "K3IngestJob", name: "j" }, objects: [job([{ type: "Complete", status: "True", reason: "Completed" }])], expected: [] },
    { reason: "a run still going is named with its state", wanted: { kind: "K3IngestJob", name: "j" }, objects: [job([{ type: "Complete", status: "False", reason: "Running" }])], expected: ["K3IngestJob j (Running)"] },
    { reason: "a failed run is named with why, unless documented", wanted: { kind: "K3IngestJob", name: "j" }, objects: [job([{ type: "Failed", status: "True", reason: "ObjectsFailed", message: "1 of 2" }])], expected: ["K3IngestJob j (Failed ObjectsFailed: 1 of 2)"] },
  ])("$reason", ({ wanted, objects, expected }) => {
    expect(notReady([wanted], objects)).toEqual(expected);
  });
});

describe("renderHeader", () => {
  const info = {
    kubeconfig: "/repo/.local/kubeconfig",
    kubeconfigShown: ".local/kubeconfig",
    kubectl: "kubectl",
    namespace: "k3-demo",
    pipeline: "doc-chunker",
    emulatorAddress: "127.0.0.1:5000",
    tokenFile: ".local/k3-token",
    timeScale: 0.05,
    operatorLog: ".local/operator.log",
    metricsPort: 8080,
    pids: [{ name: "etcd", pid: 10 }, { name: "operator", pid: 12 }],
    watching: true,
  };

  it("names the kubeconfig, commands to try, and the pids", () => {
    const header = renderHeader(info);
    expect(header).toContain("KUBECONFIG=.local/kubeconfig kubectl get k3 -A");
    expect(header).toContain("KUBECONFIG=.local/kubeconfig kubectl -n k3-demo edit k3pl doc-chunker");
    expect(header).toContain("pids        etcd 10, operator 12");
    expect(header).toContain("Ctrl-C");
  });

  it("suggests no edit without a pipeline, and no Ctrl-C when not watching", () => {
    const header = renderHeader({ ...info, pipeline: undefined, watching: false });
    expect(header).not.toContain("edit k3pl");
    expect(header).not.toContain("Ctrl-C");
  });
});

describe("withoutAges", () => {
  it("drops the last column, so tables differing only in ages compare equal", () => {
    const at = (age: string) => `NAME   READY   AGE\nk3pipeline/a   True   ${age}`;
    expect(withoutAges(at("5s"))).toBe(withoutAges(at("7s")));
    expect(withoutAges(at("5s"))).not.toBe(withoutAges(at("5s").replace("True", "False")));
  });
});
