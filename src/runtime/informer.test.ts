import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Informer, type InformerOptions } from "./informer.js";
import { KubeApiError } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import type { Logger } from "./logger.js";
import type { ResourceType } from "./resource.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const w = (namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject & { spec: Record<string, unknown> } => ({
  metadata: { namespace, name },
  spec,
});

function setup(options: Partial<InformerOptions> = {}): { kube: FakeKube; informer: Informer<KubeObject>; seen: string[]; warnings: unknown[] } {
  const kube = new FakeKube();
  const warnings: unknown[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (o) => warnings.push(o), error: (o) => warnings.push(o), child: () => logger };
  const informer = new Informer<KubeObject>({ kube, resource: widgets, random: () => 0.5, logger, ...options });
  const seen: string[] = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata?.name}`),
    onUpdate: (a, b) => seen.push(`update ${a.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
  return { kube, informer, seen, warnings };
}

describe("Informer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lists, syncs, then watches from the list's resourceVersion with bookmarks and a timeout", async () => {
    const { kube, informer, seen } = setup();
    kube.seed(widgets, w("a", "one"));
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toEqual(["add one"]);
    expect(informer.get("a/one")?.metadata?.name).toBe("one");
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    expect(kube.openWatches("widgets")[0]!.options).toMatchObject({ resourceVersion: "101", allowWatchBookmarks: true, timeoutSeconds: 300 });
    await informer.stop();
  });

  it("delivers add, update (old and new) and delete from the watch", async () => {
    const { kube, informer, seen } = setup();
    informer.start();
    await informer.waitForSync();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await kube.create(widgets, w("a", "x"));
    await kube.patch(widgets, { namespace: "a", name: "x" }, { type: "merge", body: { spec: { n: 1 } } });
    await kube.delete(widgets, { namespace: "a", name: "x" });
    expect(seen).toEqual(["add x", "update x 101->102", "delete x"]);
    expect(informer.keys()).toEqual([]);
    await informer.stop();
  });

  it("resumes from the last bookmark after a stream end, after a backoff delay (no hot reconnect)", async () => {
    const { kube, informer } = setup();
    informer.start();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    const first = kube.openWatches("widgets")[0]!;
    first.emit({ type: "BOOKMARK", object: { metadata: { resourceVersion: "555" } } });
    first.end();
    await vi.advanceTimersByTimeAsync(1999);
    expect(kube.openWatches("widgets")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(kube.openWatches("widgets")[0]!.options.resourceVersion).toBe("555");
    await informer.stop();
  });

  it("grows the reconnect delay while watches keep ending at once", async () => {
    const { kube, informer } = setup();
    informer.start();
    const reconnectTimes: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      while (kube.openWatches("widgets").length === 0) await vi.advanceTimersByTimeAsync(100);
      reconnectTimes.push(Date.now() - t0);
      kube.openWatches("widgets")[0]!.end();
    }
    const gaps = reconnectTimes.slice(1).map((t, i) => t - reconnectTimes[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(kube.watches.length).toBe(4);
    await informer.stop();
  });

  it("relists after a 410 ERROR event and reports what it missed (delete, update), not what is unchanged", async () => {
    const { kube, informer, seen } = setup();
    kube.seed(widgets, w("a", "keep"));
    kube.seed(widgets, w("a", "gone"));
    kube.seed(widgets, w("a", "changed"));
    informer.start();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    const watch = kube.openWatches("widgets")[0]!;
    watch.end(); // changes below happen while no watch is open
    kube.objects.get("widgets")!.delete("a/gone");
    kube.seed(widgets, { ...w("a", "changed", { n: 2 }) });
    await vi.advanceTimersByTimeAsync(2000);
    const next = kube.openWatches("widgets")[0]!;
    next.emit({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" } });
    seen.length = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(["delete gone", "update changed 103->104"]);
    expect(kube.openWatches("widgets")).toHaveLength(1);
    await informer.stop();
  });

  it("restarts a watch that went silent past its timeout (watchdog), from the same resourceVersion", async () => {
    const { kube, informer } = setup({ watchTimeoutSeconds: 60, watchdogGraceMs: 5000 });
    informer.start();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    const silent = kube.openWatches("widgets")[0]!;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(silent.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(silent.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(kube.openWatches("widgets")).toHaveLength(1);
    expect(kube.openWatches("widgets")[0]!.options.resourceVersion).toBe(silent.options.resourceVersion);
    await informer.stop();
  });

  it("retries a failed list with backoff instead of giving up", async () => {
    const { kube, informer, warnings } = setup();
    kube.failNext.list = new KubeApiError(500, { message: "etcd down" }, "list");
    informer.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(informer.hasSynced()).toBe(false);
    expect(warnings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it("stop() is quiet: no warning, no handler call, the watch is closed", async () => {
    const { kube, informer, seen, warnings } = setup();
    informer.start();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await informer.stop();
    expect(kube.watches[0]!.closed).toBe(true);
    expect(warnings).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("watches each given namespace and syncs only when all are listed", async () => {
    const { kube, informer } = setup({ namespaces: ["a", "b"] });
    kube.seed(widgets, w("a", "1"));
    kube.seed(widgets, w("b", "2"));
    kube.seed(widgets, w("c", "3"));
    informer.start();
    await informer.waitForSync();
    expect(informer.keys().sort()).toEqual(["a/1", "b/2"]);
    await vi.waitFor(() => expect(kube.openWatches("widgets").map((x) => x.options.namespace).sort()).toEqual(["a", "b"]));
    await informer.stop();
  });

  it("a throwing handler is logged and does not break the watch", async () => {
    const { kube, informer, warnings } = setup();
    informer.addHandlers({ onAdd: () => { throw new Error("bad handler"); } });
    informer.start();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await kube.create(widgets, w("a", "x"));
    expect(informer.get("a/x")).toBeDefined();
    expect(kube.openWatches("widgets")).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    await informer.stop();
  });
});

describe("Informer indexes", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bySecret = (o: KubeObject): string[] => {
    const ref = (o as { spec?: { secret?: string } }).spec?.secret;
    return ref ? [`${o.metadata?.namespace}/${ref}`] : [];
  };

  it("answers by index value and follows adds, updates, deletes and relists", async () => {
    const { kube, informer } = setup();
    kube.seed(widgets, w("a", "one", { secret: "s1" }));
    informer.addIndex("secret", bySecret);
    informer.start();
    await informer.waitForSync();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await kube.create(widgets, w("a", "two", { secret: "s1" }));
    expect(informer.byIndex("secret", "a/s1").sort()).toEqual(["a/one", "a/two"]);
    await kube.patch(widgets, { namespace: "a", name: "two" }, { type: "merge", body: { spec: { secret: "s2" } } });
    await vi.advanceTimersByTimeAsync(10);
    expect(informer.byIndex("secret", "a/s1")).toEqual(["a/one"]);
    expect(informer.byIndex("secret", "a/s2")).toEqual(["a/two"]);
    await kube.delete(widgets, { namespace: "a", name: "one" });
    await vi.advanceTimersByTimeAsync(10);
    expect(informer.byIndex("secret", "a/s1")).toEqual([]);
    await informer.stop();
  });

  it("an index added after objects are cached covers them; a second index of the same name is refused", async () => {
    const { kube, informer } = setup();
    kube.seed(widgets, w("b", "x", { secret: "s" }));
    informer.start();
    await informer.waitForSync();
    informer.addIndex("secret", bySecret);
    expect(informer.byIndex("secret", "b/s")).toEqual(["b/x"]);
    informer.addIndex("secret", bySecret); // the same function again: shared informers are asked twice
    expect(() => informer.addIndex("secret", () => [])).toThrow(/already exists/);
    expect(() => informer.byIndex("nope", "x")).toThrow(/no index nope/);
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await informer.stop();
  });
});

describe("Informer transform", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("caches objects without managedFields by default, listed or watched", async () => {
    const { kube, informer } = setup();
    kube.seed(widgets, { metadata: { namespace: "a", name: "listed", managedFields: [{ manager: "kubectl" }] } });
    informer.start();
    await informer.waitForSync();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await kube.create(widgets, { metadata: { namespace: "a", name: "watched", managedFields: [{ manager: "kubectl" }] } });
    expect(informer.get("a/listed")?.metadata).not.toHaveProperty("managedFields");
    expect(informer.get("a/watched")?.metadata).not.toHaveProperty("managedFields");
    expect(informer.get("a/watched")?.metadata?.name).toBe("watched");
    await informer.stop();
  });

  it("caches objects without kubectl's last-applied copy, keeping the other annotations", async () => {
    const { kube, informer } = setup();
    const annotations = { "kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{}}", "k3.dodil.io/paused": "true" };
    kube.seed(widgets, { metadata: { namespace: "a", name: "listed", annotations } });
    informer.start();
    await informer.waitForSync();
    await vi.waitFor(() => expect(kube.openWatches("widgets")).toHaveLength(1));
    await kube.create(widgets, { metadata: { namespace: "a", name: "watched", annotations } });
    for (const key of ["a/listed", "a/watched"]) expect(informer.get(key)?.metadata?.annotations).toEqual({ "k3.dodil.io/paused": "true" });
    await informer.stop();
  });
});
