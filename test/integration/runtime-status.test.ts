// Status and metadata writes, events, and the whole controller + managed reconciler loop
// against a real apiserver, with an in-memory external service.
import { beforeAll, describe, expect, vi } from "vitest";
import {
  Controller,
  createKubeClient,
  type ExternalClient,
  Informer,
  isConflict,
  type KubeClient,
  type KubeObject,
  ManagedReconciler,
  newEventRecorder,
  newObjectWriter,
  type Status,
} from "../../src/runtime/index.js";
import { delegatingKube } from "../../src/runtime/testing/fake-kube.js";
import { kubeTest as test, kubectlOk, testCluster } from "../support/kube.js";
import { installWidgetCrd, widgets } from "../support/widget-crd.js";

interface Widget extends KubeObject {
  spec: { size: number };
  status?: Status & { widgetId?: string; conditions?: { type: string; status: string; reason: string }[] };
}

/** The real client, counting writes per verb and subresource. */
function counting(kube: KubeClient): { client: KubeClient; writes: string[] } {
  const writes: string[] = [];
  const client = delegatingKube(kube, {
    create: (rt, o) => {
      writes.push(`create ${rt.plural}`);
      return kube.create(rt, o);
    },
    patch: (rt, ref, p, o) => {
      writes.push(`patch ${rt.plural}${o?.subresource ? `/${o.subresource}` : ""}`);
      return kube.patch(rt, ref, p, o);
    },
    delete: (rt, ref) => {
      writes.push(`delete ${rt.plural}`);
      return kube.delete(rt, ref);
    },
  });
  return { client, writes };
}

const waitFor = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 20_000, interval: 100 });

describe("status, finalizers and events on a real apiserver", () => {
  let kube: KubeClient;
  beforeAll(async () => {
    await installWidgetCrd();
    kube = createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath });
  });

  test("status is written through the subresource with a merge patch, and only when it changed", async ({ namespace }) => {
    const { client, writes } = counting(kube);
    const writer = newObjectWriter<Widget>(client, widgets);
    const created = await kube.create<Widget>(widgets, { metadata: { namespace, name: "w" }, spec: { size: 1 } });
    const cond = (t: string) => ({ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: t });
    const first = await writer.patchStatus(created, { phase: "A", conditions: [cond("2026-11-01T00:00:00Z")] });
    expect(first.status).toMatchObject({ phase: "A" });
    expect(first.metadata?.generation).toBe(created.metadata?.generation);
    const same = await writer.patchStatus(first, { phase: "A", conditions: [cond("2026-11-01T09:09:09Z")] });
    expect(same.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const removed = await writer.patchStatus(first, { conditions: [cond("2026-11-01T00:00:00Z")] });
    expect(removed.status?.phase).toBeUndefined();
    expect(writes).toEqual(["patch widgets/status", "patch widgets/status"]);
  });

  test("finalizer writes are guarded by resourceVersion (a stale object gets a conflict)", async ({ namespace }) => {
    const writer = newObjectWriter<Widget>(kube, widgets);
    const created = await kube.create<Widget>(widgets, { metadata: { namespace, name: "w" }, spec: { size: 1 } });
    const withFinalizer = await writer.addFinalizer(created, "test.k3.dodil.io/finalizer");
    expect(withFinalizer.metadata?.finalizers).toEqual(["test.k3.dodil.io/finalizer"]);
    const stale = await writer.addFinalizer(created, "test.k3.dodil.io/other").catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    const without = await writer.removeFinalizer(withFinalizer, "test.k3.dodil.io/finalizer");
    expect(without.metadata?.finalizers ?? []).toEqual([]);
  });

  test("events are accepted by the apiserver, and repeats bump the count", async ({ namespace }) => {
    const created = await kube.create<Widget>(widgets, { metadata: { namespace, name: "w" }, spec: { size: 1 } });
    const recorder = newEventRecorder({ kube, component: "k3-operator-test", bumpIntervalMs: 0 });
    recorder.record(created, { type: "Warning", reason: "CannotCreate", message: "boom" });
    const read = async () => JSON.parse(await kubectlOk(["get", "events", "-n", namespace, "-o", "json"])) as { items: { count: number; reason: string; involvedObject: { name: string; kind: string } }[] };
    await waitFor(async () => expect((await read()).items).toHaveLength(1));
    recorder.record(created, { type: "Warning", reason: "CannotCreate", message: "boom" });
    await waitFor(async () => expect((await read()).items[0]).toMatchObject({ count: 2, reason: "CannotCreate", involvedObject: { name: "w", kind: "Widget" } }));
  });

  test("controller + managed reconciler: finalizer, create, Ready, silence in steady state, delete", async ({ namespace }) => {
    const remote = new Map<string, { size: number; owner: string }>();
    const calls: string[] = [];
    const client: ExternalClient<Widget> = {
      observe: (obj) => {
        calls.push("observe");
        const id = obj.status?.widgetId ?? [...remote.entries()].find(([, r]) => r.owner === obj.metadata?.uid)?.[0];
        const r = id ? remote.get(id) : undefined;
        return Promise.resolve(r ? { exists: true, upToDate: r.size === obj.spec.size, externalId: id, status: { size: r.size } } : { exists: false, upToDate: false });
      },
      create: (obj) => {
        calls.push("create");
        remote.set("r1", { size: obj.spec.size, owner: obj.metadata?.uid ?? "" });
        return Promise.resolve({ externalId: "r1" });
      },
      update: (obj) => {
        calls.push("update");
        remote.get(obj.status?.widgetId ?? "")!.size = obj.spec.size;
        return Promise.resolve({});
      },
      delete: (obj) => {
        calls.push("delete");
        remote.delete(obj.status?.widgetId ?? "");
        return Promise.resolve();
      },
    };
    const { client: counted, writes } = counting(kube);
    const informer = new Informer<Widget>({ kube, resource: widgets, namespaces: [namespace] });
    const reconciler = new ManagedReconciler<Widget>({
      adapter: {
        connector: { connect: () => Promise.resolve(client) },
        classify: () => "transient",
        getExternalId: (o) => o.status?.widgetId,
        setExternalId: (id) => ({ widgetId: id }),
      },
      writer: newObjectWriter<Widget>(counted, widgets),
      finalizer: "test.k3.dodil.io/finalizer",
      pausedAnnotation: "test.k3.dodil.io/paused",
      pollIntervalMs: 300,
      afterChangeMs: 100,
    });
    const controller = new Controller<Widget>({ name: "widgets", informer, reconciler, resyncPeriodMs: 0 });
    await controller.start();
    try {
      await kube.create<Widget>(widgets, { metadata: { namespace, name: "w" }, spec: { size: 1 } });
      const ready = async () => (await kube.get<Widget>(widgets, { namespace, name: "w" })).status?.conditions?.find((c) => c.type === "Ready");
      await waitFor(async () => expect(await ready()).toMatchObject({ status: "True", reason: "Available" }));
      const stored = await kube.get<Widget>(widgets, { namespace, name: "w" });
      expect(stored.metadata?.finalizers).toEqual(["test.k3.dodil.io/finalizer"]);
      expect(stored.status).toMatchObject({ widgetId: "r1", size: 1, observedGeneration: 1 });
      expect(calls.filter((c) => c === "create")).toHaveLength(1);

      // Steady state: polls keep observing, but nothing is written and nothing is re-created.
      const writesBefore = writes.length;
      const observesBefore = calls.length;
      await new Promise((r) => setTimeout(r, 2000));
      expect(writes.slice(writesBefore)).toEqual([]);
      expect(calls.length - observesBefore).toBeGreaterThanOrEqual(3);
      expect(calls.slice(observesBefore).every((c) => c === "observe")).toBe(true);

      await kube.patch(widgets, { namespace, name: "w" }, { type: "merge", body: { spec: { size: 2 } } });
      await waitFor(() => expect(remote.get("r1")?.size).toBe(2));
      await waitFor(async () => expect((await kube.get<Widget>(widgets, { namespace, name: "w" })).status).toMatchObject({ size: 2, observedGeneration: 2 }));

      await kube.delete(widgets, { namespace, name: "w" });
      await waitFor(() => expect(informer.get(`${namespace}/w`)).toBeUndefined());
      expect(remote.size).toBe(0);
      expect(calls).toContain("delete");
    } finally {
      await controller.stop();
    }
  });
});
