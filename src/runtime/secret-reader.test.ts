import { afterEach, describe, expect, it, vi } from "vitest";
import { Informer } from "./informer.js";
import { keyOf, type KubeObject } from "./kube-types.js";
import { CoreTypes, type ResourceType } from "./resource.js";
import { SecretStore } from "./secret-reader.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
type Widget = KubeObject & { spec: { secret?: string } };
const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** A store over a fake apiserver: Secrets watched metadata-only, widgets referencing them by `spec.secret`. */
async function setup() {
  const kube = new FakeKube();
  let reads = 0;
  const countingKube = { get: ((rt, ref) => ((reads += 1), kube.get(rt, ref))) as FakeKube["get"] };
  const metadata = new Informer<KubeObject>({ kube, resource: CoreTypes.Secret, metadataOnly: true });
  const store = new SecretStore({ kube: countingKube, metadata });
  const referrers = new Informer<Widget>({ kube, resource: widgets });
  const keysOf = (obj: Widget): string[] => (obj.spec.secret ? [keyOf(obj.metadata?.namespace, obj.spec.secret)] : []);
  referrers.addIndex("secrets", keysOf);
  store.addReferrer({ informer: referrers, index: "secrets", keysOf });
  kube.seed(CoreTypes.Secret, { metadata: { namespace: "ns", name: "used", annotations: { big: "x".repeat(1000) } }, type: "Opaque", data: { token: b64("jwt-1") } } as KubeObject);
  kube.seed(CoreTypes.Secret, { metadata: { namespace: "ns", name: "unrelated" }, data: { blob: b64("y".repeat(4096)) } } as KubeObject);
  kube.seed<Widget>(widgets, { metadata: { namespace: "ns", name: "w" }, spec: { secret: "used" } });
  metadata.start();
  referrers.start();
  await Promise.all([metadata.waitForSync(), referrers.waitForSync()]);
  await vi.waitFor(() => expect(kube.openWatches("secrets")).toHaveLength(1));
  await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
  return { kube, store, metadata, referrers, reads: () => reads, stop: () => Promise.all([metadata.stop(), referrers.stop()]) };
}

describe("SecretStore", () => {
  let stop: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stop?.();
  });

  it("watches identity only, reads a referenced Secret once per resourceVersion, and holds only referenced data", async () => {
    const t = await setup();
    stop = t.stop;
    // The metadata cache holds a skeleton: no data, no annotations (a last-applied annotation repeats the data).
    const skeleton = t.metadata.get("ns/used");
    expect(Object.keys(skeleton ?? {}).sort()).toEqual(["apiVersion", "kind", "metadata"]);
    expect(skeleton).toMatchObject({ apiVersion: "v1", kind: "Secret", metadata: { name: "used", namespace: "ns" } });
    expect(skeleton?.metadata?.resourceVersion).toBeTruthy();
    expect(t.metadata.get("ns/used")?.metadata?.annotations).toBeUndefined();
    expect(t.store.heldKeys()).toEqual([]);

    expect(await t.store.get("ns", "used")).toMatchObject({ data: { token: "jwt-1" }, type: "Opaque" });
    expect(await t.store.get("ns", "used")).toMatchObject({ data: { token: "jwt-1" } });
    expect(t.reads(), "a second read of the same resourceVersion is served from memory").toBe(1);

    // An unreferenced Secret is read (someone asked) but not kept.
    expect((await t.store.get("ns", "unrelated"))?.data["blob"]).toHaveLength(4096);
    expect(t.store.heldKeys()).toEqual(["ns/used"]);

    await t.kube.patch(CoreTypes.Secret, { namespace: "ns", name: "used" }, { type: "merge", body: { data: { token: b64("jwt-2") } } });
    expect(await t.store.get("ns", "used")).toMatchObject({ data: { token: "jwt-2" } });
    expect(t.reads(), "a new resourceVersion is read again").toBe(3);
  });

  it("answers undefined without a read for a Secret the watch does not know, and drops data when the Secret or the last reference goes", async () => {
    const t = await setup();
    stop = t.stop;
    expect(await t.store.get("ns", "missing")).toBeUndefined();
    expect(t.reads()).toBe(0);

    await t.store.get("ns", "used");
    expect(t.store.heldKeys()).toEqual(["ns/used"]);
    await t.kube.patch(widgets, { namespace: "ns", name: "w" }, { type: "merge", body: { spec: { secret: "other" } } });
    expect(t.store.heldKeys(), "no object references it any more").toEqual([]);

    await t.kube.patch(widgets, { namespace: "ns", name: "w" }, { type: "merge", body: { spec: { secret: "used" } } });
    await t.store.get("ns", "used");
    expect(t.store.heldKeys()).toEqual(["ns/used"]);
    await t.kube.delete(CoreTypes.Secret, { namespace: "ns", name: "used" });
    expect(t.store.heldKeys(), "the Secret was deleted").toEqual([]);
    expect(await t.store.get("ns", "used")).toBeUndefined();
  });

  it("shares one GET among concurrent readers", async () => {
    const t = await setup();
    stop = t.stop;
    const answers = await Promise.all([t.store.get("ns", "used"), t.store.get("ns", "used"), t.store.get("ns", "used")]);
    expect(answers.map((a) => a?.data["token"])).toEqual(["jwt-1", "jwt-1", "jwt-1"]);
    expect(t.reads()).toBe(1);
  });
});
