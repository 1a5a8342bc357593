import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Controller, needsReconcile } from "./controller.js";
import { Informer } from "./informer.js";
import type { KubeObject } from "./kube-types.js";
import type { ReconcileResult } from "./managed-types.js";
import { CoreTypes, type ResourceType } from "./resource.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const base: KubeObject & { spec: unknown; status?: unknown } = {
  metadata: { namespace: "n", name: "w", generation: 1, resourceVersion: "1", labels: { a: "1" }, annotations: {}, finalizers: [] },
  spec: { size: 1 },
  status: { phase: "A" },
};

describe("needsReconcile", () => {
  it.each([
    { reason: "status only (our own write)", next: { ...base, status: { phase: "B" } }, want: false },
    { reason: "resourceVersion and managedFields only", next: { ...base, metadata: { ...base.metadata, resourceVersion: "2", managedFields: [{}] } }, want: false },
    { reason: "spec change (generation bump)", next: { ...base, spec: { size: 2 }, metadata: { ...base.metadata, generation: 2 } }, want: true },
    { reason: "annotation change (pause, requested-at)", next: { ...base, metadata: { ...base.metadata, annotations: { p: "true" } } }, want: true },
    { reason: "label change", next: { ...base, metadata: { ...base.metadata, labels: {} } }, want: true },
    { reason: "finalizer change", next: { ...base, metadata: { ...base.metadata, finalizers: ["f"] } }, want: true },
    { reason: "deletion started", next: { ...base, metadata: { ...base.metadata, deletionTimestamp: "2026-11-01T00:00:00Z" } }, want: true },
    { reason: "data of a generation-less object (a Secret)", next: { ...base, data: { token: "x" } }, want: true },
    { reason: "our own finalizer added (the pass that added it goes on)", own: "ours", next: { ...base, metadata: { ...base.metadata, resourceVersion: "2", finalizers: ["ours"] } }, want: false },
    { reason: "our own finalizer added beside someone else's", own: "ours", prev: { ...base, metadata: { ...base.metadata, finalizers: ["theirs"] } }, next: { ...base, metadata: { ...base.metadata, finalizers: ["theirs", "ours"] } }, want: false },
    { reason: "our own finalizer added together with a spec change", own: "ours", next: { ...base, spec: { size: 2 }, metadata: { ...base.metadata, generation: 2, finalizers: ["ours"] } }, want: true },
    { reason: "another finalizer added, ours named", own: "ours", next: { ...base, metadata: { ...base.metadata, finalizers: ["theirs"] } }, want: true },
    { reason: "our own finalizer removed by someone (it must come back)", own: "ours", prev: { ...base, metadata: { ...base.metadata, finalizers: ["ours"] } }, next: base, want: true },
  ])("$reason → $want", ({ prev, next, own, want }) => {
    expect(needsReconcile(prev ?? base, next, own)).toBe(want);
  });
});

describe("Controller", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(results: (obj: KubeObject) => ReconcileResult = () => ({ kind: "done" }), resyncPeriodMs = 0) {
    const kube = new FakeKube();
    const informer = new Informer<KubeObject>({ kube, resource: widgets, random: () => 0.5 });
    const reconciled: string[] = [];
    const secrets = new Informer<KubeObject>({ kube, resource: CoreTypes.Secret, random: () => 0.5 });
    const reconciledResults = vi.fn();
    const forgotten: string[] = [];
    // widgets a and b reference Secret n/conn
    informer.addIndex("secrets", (w) => (w.metadata?.name === "a" || w.metadata?.name === "b" ? ["n/conn"] : []));
    const controller = new Controller<KubeObject>({
      name: "widgets",
      informer,
      reconciler: {
        async reconcile(obj) {
          reconciled.push(obj.metadata!.name!);
          // the operator's own status write: must not come back as a reconcile
          await kube.patch(widgets, { namespace: "n", name: obj.metadata!.name! }, { type: "merge", body: { status: { seen: reconciled.length } } }, { subresource: "status" });
          return results(obj);
        },
        forget: (obj) => void forgotten.push(obj.metadata!.name!),
      },
      watches: [{ informer: secrets, index: "secrets" }],
      resyncPeriodMs,
      metrics: { reconciled: reconciledResults },
    });
    return { kube, controller, reconciled, reconciledResults, forgotten };
  }
  const flush = () => vi.advanceTimersByTimeAsync(1);

  it("reconciles every object once after sync, and its own status writes do not re-trigger it", async () => {
    const { kube, controller, reconciled, reconciledResults } = setup();
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    kube.seed(widgets, { metadata: { namespace: "n", name: "b" } });
    expect(controller.hasSynced()).toBe(false);
    await controller.start();
    expect(controller.hasSynced()).toBe(true);
    await flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reconciled.sort()).toEqual(["a", "b"]);
    expect(reconciledResults).toHaveBeenCalledWith("done", expect.any(Number));
    await controller.stop();
  });

  it("reconciles again on a spec change, not on a status change by someone else", async () => {
    const { kube, controller, reconciled } = setup();
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await kube.patch(widgets, { namespace: "n", name: "a" }, { type: "merge", body: { status: { x: 1 } } }, { subresource: "status" });
    await flush();
    expect(reconciled).toEqual(["a"]);
    await kube.patch(widgets, { namespace: "n", name: "a" }, { type: "merge", body: { spec: { size: 3 } } });
    await flush();
    expect(reconciled).toEqual(["a", "a"]);
    await controller.stop();
  });

  it("requeueAfter comes back after the delay; backoff after the per-key backoff", async () => {
    let n = 0;
    const { kube, controller, reconciled } = setup(() => (++n === 1 ? { kind: "requeueAfter", ms: 5000 } : n === 2 ? { kind: "backoff", error: new Error("x") } : { kind: "done" }));
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await vi.advanceTimersByTimeAsync(4990);
    expect(reconciled).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(11);
    expect(reconciled).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(reconciled).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(reconciled).toHaveLength(3);
    await controller.stop();
  });

  it("a secondary object's change enqueues the primaries it maps to", async () => {
    const { kube, controller, reconciled } = setup();
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    kube.seed(widgets, { metadata: { namespace: "n", name: "b" } });
    await controller.start();
    await flush();
    reconciled.length = 0;
    await kube.create(CoreTypes.Secret, { metadata: { namespace: "n", name: "conn" } });
    await kube.create(CoreTypes.Secret, { metadata: { namespace: "n", name: "unrelated" } });
    await flush();
    expect(reconciled.sort()).toEqual(["a", "b"]);
    await controller.stop();
  });

  it("an object gone from the cache is forgotten by the reconciler (no state kept per deleted object)", async () => {
    const { kube, controller, forgotten } = setup();
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await kube.delete(widgets, { namespace: "n", name: "a" });
    await flush();
    expect(forgotten).toEqual(["a"]);
    await controller.stop();
  });

  it("resyncs every key periodically (jittered)", async () => {
    const { kube, controller, reconciled } = setup(undefined, 60_000);
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await vi.advanceTimersByTimeAsync(66_001);
    expect(reconciled).toEqual(["a", "a"]);
    await controller.stop();
  });

  it("the resync skips keys that already have a requeue scheduled (no double reads)", async () => {
    const { kube, controller, reconciled } = setup(() => ({ kind: "requeueAfter", ms: 100_000 }), 60_000);
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await vi.advanceTimersByTimeAsync(99_000); // a resync passed; the key's own poll is still pending
    expect(reconciled).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reconciled).toEqual(["a", "a"]);
    await controller.stop();
  });

  it("does not reconcile objects that left the cache", async () => {
    const { kube, controller, reconciled } = setup(() => ({ kind: "requeueAfter", ms: 1000 }));
    kube.seed(widgets, { metadata: { namespace: "n", name: "a" } });
    await controller.start();
    await flush();
    await kube.delete(widgets, { namespace: "n", name: "a" });
    await vi.advanceTimersByTimeAsync(5000);
    expect(reconciled).toEqual(["a"]);
    await controller.stop();
  });

  it("stop() closes the watches and ends the workers", async () => {
    const { kube, controller } = setup();
    await controller.start();
    await flush();
    expect(kube.openWatches("widgets")).toHaveLength(1);
    await controller.stop();
    expect(kube.openWatches("widgets")).toHaveLength(0);
    expect(kube.openWatches("secrets")).toHaveLength(0);
    expect(controller.queue.isShuttingDown).toBe(true);
  });
});
