import { describe, expect, it } from "vitest";
import { isConflict } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import type { ResourceType } from "./resource.js";
import { mergeDiff, newObjectWriter, type Status, statusPatch } from "./status-patcher.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
type Widget = KubeObject & { status?: Status };
const cond = (t: string) => ({ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: t });

describe("statusPatch", () => {
  it.each([
    { reason: "identical", from: { a: 1 }, to: { a: 1 }, want: undefined },
    { reason: "only lastTransitionTime differs", from: { conditions: [cond("t1")] }, to: { conditions: [cond("t2")] }, want: undefined },
    { reason: "undefined fields are absent", from: { a: 1 }, to: { a: 1, b: undefined }, want: undefined },
    { reason: "changed scalar", from: { a: 1, b: 2 }, to: { a: 1, b: 3 }, want: { b: 3 } },
    { reason: "removed field becomes null", from: { a: 1, b: 2 }, to: { a: 1 }, want: { b: null } },
    { reason: "nested diff", from: { x: { y: 1, z: 2 } }, to: { x: { y: 1, z: 3 } }, want: { x: { z: 3 } } },
    { reason: "first status", from: undefined, to: { a: 1 }, want: { a: 1 } },
    {
      reason: "a condition change sends the whole list",
      from: { conditions: [cond("t1")] },
      to: { conditions: [{ ...cond("t1"), status: "False" }] },
      want: { conditions: [{ ...cond("t1"), status: "False" }] },
    },
  ])("$reason", ({ from, to, want }) => {
    expect(statusPatch(from as Status | undefined, to as Status)).toEqual(want);
  });

  it("mergeDiff replaces arrays whole", () => {
    expect(mergeDiff({ l: [1, 2] }, { l: [1] })).toEqual({ l: [1] });
  });
});

describe("newObjectWriter", () => {
  it("writes status through the subresource only when it changed", async () => {
    const kube = new FakeKube();
    const obj = kube.seed(widgets, { metadata: { namespace: "n", name: "w" } }) as Widget;
    const writer = newObjectWriter<Widget>(kube, widgets);
    const once = await writer.patchStatus(obj, { phase: "A", conditions: [cond("t1")] });
    const twice = await writer.patchStatus(once, { phase: "A", conditions: [cond("t9")] });
    expect(twice).toBe(once);
    expect(kube.writes).toEqual([expect.objectContaining({ verb: "patch", subresource: "status" })]);
    expect(kube.peek<Widget>(widgets, "n/w")?.status).toEqual({ phase: "A", conditions: [cond("t1")] });
  });

  it("adds and removes finalizers once, with an optimistic lock", async () => {
    const kube = new FakeKube();
    const obj = kube.seed(widgets, { metadata: { namespace: "n", name: "w", finalizers: ["other"] } }) as Widget;
    const writer = newObjectWriter<Widget>(kube, widgets);
    const added = await writer.addFinalizer(obj, "f");
    expect(added.metadata?.finalizers).toEqual(["other", "f"]);
    expect(await writer.addFinalizer(added, "f")).toBe(added);
    const removed = await writer.removeFinalizer(added, "f");
    expect(removed.metadata?.finalizers).toEqual(["other"]);
    expect(kube.writes).toHaveLength(2);
    const stale = await writer.addFinalizer(obj, "g").catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
  });
});
