import { describe, expect, it } from "vitest";
import type { K3IngestJob, K3IngestRule, K3Pipeline, K3Source } from "../api/gen/index.js";
import { buildTree, focus, parseObjectRef, renderTree, type Objects, type TreeNode } from "./tree.js";

const cond = (type: string, status: string, reason = "Available", message = "") => ({ type, status, reason, message, lastTransitionTime: "2026-12-01T00:00:00Z" });
const ready = [cond("Ready", "True"), cond("Synced", "True")];
const meta = (name: string) => ({ name, namespace: "ns", creationTimestamp: "2026-12-01T00:00:00Z" });
const source = (name: string, id: string): K3Source => ({ apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Source", metadata: meta(name), spec: { type: "S3" }, status: { sourceId: id, conditions: ready } }) as K3Source;
const pipeline = (name: string, id: string): K3Pipeline => ({ apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Pipeline", metadata: meta(name), spec: {}, status: { pipelineId: id, conditions: ready } }) as unknown as K3Pipeline;
const rule = (name: string, spec: Partial<K3IngestRule["spec"]>, conditions = ready): K3IngestRule => ({ apiVersion: "k3.dodil.io/v1alpha1", kind: "K3IngestRule", metadata: meta(name), spec: { trigger: { type: "Manual" }, ...spec }, status: { conditions } }) as K3IngestRule;
const job = (name: string, ruleName: string, phase: "Succeeded" | "Failed"): K3IngestJob => ({ apiVersion: "k3.dodil.io/v1alpha1", kind: "K3IngestJob", metadata: meta(name), spec: { ruleRef: { name: ruleName } }, status: { phase, counts: { total: 1, succeeded: phase === "Succeeded" ? 1 : 0, failed: phase === "Failed" ? 1 : 0 } } });
const objects = (o: Partial<Objects>): Objects => ({ sources: [], pipelines: [], rules: [], jobs: [], ...o });

/** The tree as `kind/name[!]` paths, `!` marking a failing branch. */
function shape(nodes: TreeNode[]): unknown[] {
  return nodes.map((n) => (n.children.length ? { [`${n.name}${n.failing ? "!" : ""}`]: shape(n.children) } : `${n.name}${n.failing ? "!" : ""}`));
}

describe("buildTree", () => {
  it.each([
    {
      reason: "a rule hangs under its source by ref, its pipeline under it, its jobs under the pipeline",
      objects: objects({ sources: [source("s", "src_1")], pipelines: [pipeline("p", "pl_1")], rules: [rule("r", { sourceRef: { name: "s" }, pipelineRef: { name: "p" } })], jobs: [job("j", "r", "Succeeded")] }),
      want: [{ s: [{ r: [{ p: ["j"] }] }] }],
    },
    {
      reason: "rules by remote id (sourceId / pipelineId) are placed as well",
      objects: objects({ sources: [source("s", "src_1")], pipelines: [pipeline("p", "pl_1")], rules: [rule("r", { sourceId: "src_1", pipelineId: "pl_1" })] }),
      want: [{ s: [{ r: ["p"] }] }],
    },
    {
      reason: "a failing job makes its whole branch fail and sorts first",
      objects: objects({ sources: [source("s", "src_1")], rules: [rule("a", { sourceRef: { name: "s" } }), rule("b", { sourceRef: { name: "s" } })], jobs: [job("j", "b", "Failed")] }),
      want: [{ "s!": [{ "b!": ["j!"] }, "a"] }],
    },
    {
      reason: "objects no source leads to are roots of their own, failing ones first",
      objects: objects({ pipelines: [pipeline("lonely", "pl_9")], rules: [rule("orphan", { sourceRef: { name: "gone" } }, [cond("Ready", "False", "DependencyNotReady", "K3Source gone (not found)")])], jobs: [job("stray", "none", "Succeeded")] }),
      want: ["orphan!", "stray", "lonely"],
    },
  ])("$reason", ({ objects: o, want }) => {
    expect(shape(buildTree(o))).toEqual(want);
  });

  it("states the reason of a failing object on its line", () => {
    const roots = buildTree(objects({ rules: [rule("orphan", {}, [cond("Ready", "False", "DependencyNotReady", "K3Source gone (not found)")])] }));
    expect(renderTree(roots, { color: false, tty: false })).toEqual(["K3IngestRule/orphan  Ready=False  Synced=?  id=-  — Ready=False DependencyNotReady: K3Source gone (not found)"]);
  });

  it("focus keeps only the branch leading to the object, with everything below it", () => {
    const roots = buildTree(objects({ sources: [source("s", "src_1")], pipelines: [pipeline("p", "pl_1")], rules: [rule("a", { sourceRef: { name: "s" }, pipelineRef: { name: "p" } }), rule("b", { sourceRef: { name: "s" } })], jobs: [job("j", "a", "Succeeded")] }));
    expect(shape(focus(roots, "K3IngestRule", "a"))).toEqual([{ s: [{ a: [{ p: ["j"] }] }] }]);
    expect(focus(roots, "K3IngestRule", "nope")).toEqual([]);
  });
});

describe("parseObjectRef", () => {
  it.each([["k3src/s", "K3Source"], ["K3Pipeline/p", "K3Pipeline"], ["k3ingestrules/r", "K3IngestRule"], ["job/j", "K3IngestJob"]] as const)("reads %s as a %s", (text, kind) => {
    expect(parseObjectRef(text).kind).toBe(kind);
  });
  it.each(["s", "pods/x", "k3src/", "k3src/a/b"])("refuses %s", (text) => {
    expect(() => parseObjectRef(text)).toThrow(/KIND\/NAME/);
  });
});
