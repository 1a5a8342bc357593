import { describe, expect, it, vi } from "vitest";
import type { KubeObject } from "./kube-types.js";
import { Manager } from "./manager.js";
import type { ResourceType } from "./resource.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const gadgets: ResourceType = { ...widgets, plural: "gadgets", kind: "Gadget" };

describe("Manager", () => {
  it("hands out one informer per resource type, lists each once; a runnable that waits for the caches it reads sees them synced", async () => {
    const kube = new FakeKube();
    kube.seed(widgets, { metadata: { namespace: "n", name: "w" } });
    const manager = new Manager({ kube });
    const a = manager.informerFor<KubeObject>(widgets);
    expect(manager.informerFor<KubeObject>(widgets)).toBe(a);
    const b = manager.informerFor<KubeObject>(gadgets);
    expect(b).not.toBe(a);
    const order: string[] = [];
    manager.add({
      start: async () => {
        await Promise.all([a.waitForSync(), b.waitForSync()]);
        order.push(`start: widgets cached=${a.keys().join(",")} gadgets synced=${b.hasSynced()}`);
      },
      stop: () => (order.push("stop"), Promise.resolve()),
    });
    expect(manager.hasSynced()).toBe(false);
    await manager.start();
    expect(manager.hasSynced()).toBe(true);
    expect(() => manager.informerFor(CoreSecretLike)).toThrow(/after the manager started/);
    await manager.stop();
    expect(order).toEqual(["start: widgets cached=n/w gadgets synced=true", "stop"]);
  });

  it("starts runnables with the informers: one that reads only widgets runs while gadgets are still being listed", async () => {
    const kube = new FakeKube();
    kube.seed(widgets, { metadata: { namespace: "n", name: "w" } });
    let releaseGadgets!: () => void;
    const gadgetsListed = new Promise<void>((resolve) => (releaseGadgets = resolve));
    const list = kube.list.bind(kube);
    // The gadgets list answers only when the test says so: a large kind still being listed.
    kube.list = async (rt: ResourceType, options?: Parameters<FakeKube["list"]>[1]) => {
      if (rt.plural === gadgets.plural) await gadgetsListed;
      return list(rt, options);
    };
    const manager = new Manager({ kube });
    const a = manager.informerFor<KubeObject>(widgets);
    const b = manager.informerFor<KubeObject>(gadgets);
    const started: string[] = [];
    const stop = (): Promise<void> => Promise.resolve();
    manager.add({ start: async () => { await a.waitForSync(); started.push(`widgets reader (gadgets synced=${b.hasSynced()})`); }, stop });
    manager.add({ start: async () => { await b.waitForSync(); started.push("gadgets reader"); }, stop });
    let managerStarted = false;
    const starting = manager.start().then(() => (managerStarted = true));
    await vi.waitFor(() => expect(started).toEqual(["widgets reader (gadgets synced=false)"]));
    expect(managerStarted).toBe(false);
    expect(manager.hasSynced()).toBe(false);
    releaseGadgets();
    await starting;
    expect(started).toEqual(["widgets reader (gadgets synced=false)", "gadgets reader"]);
    expect(manager.hasSynced()).toBe(true);
    await manager.stop();
  });

  it("applies its label selector per resource type (a shard's) to every informer of that type, and keeps metadata-only informers apart", async () => {
    const kube = new FakeKube();
    const manager = new Manager({ kube, labelSelectorFor: (rt) => (rt.group === widgets.group ? "k3.dodil.io/shard=a" : undefined) });
    const w = manager.informerFor<KubeObject>(widgets);
    const secrets = manager.informerFor<KubeObject>(CoreSecretLike);
    const secretsMeta = manager.informerFor<KubeObject>(CoreSecretLike, { metadataOnly: true });
    expect(secretsMeta).not.toBe(secrets);
    expect(manager.informerFor<KubeObject>(CoreSecretLike, { metadataOnly: true })).toBe(secretsMeta);
    await manager.start();
    await vi.waitFor(() => expect(kube.watches.filter((x) => !x.closed)).toHaveLength(3));
    const asked = kube.watches.map((x) => `${x.resource} ${x.options.labelSelector ?? "-"} ${x.options.metadataOnly ? "metadata" : "full"}`).sort();
    expect(asked).toEqual(["secrets - full", "secrets - metadata", "widgets k3.dodil.io/shard=a full"]);
    expect(w.hasSynced()).toBe(true);
    await manager.stop();
  });
});

const CoreSecretLike: ResourceType = { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true };
