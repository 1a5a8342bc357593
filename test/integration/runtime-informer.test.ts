// The informer against a real apiserver: events, a cut connection, and a forced relist.
import { beforeAll, describe, expect, vi } from "vitest";
import { createKubeClient, Informer, type KubeClient, type KubeObject, type WatchEvent } from "../../src/runtime/index.js";
import { delegatingKube } from "../../src/runtime/testing/fake-kube.js";
import { kubeTest as test, testCluster } from "../support/kube.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { installWidgetCrd, widgets } from "../support/widget-crd.js";

const widget = (namespace: string, name: string, spec: Record<string, unknown> = {}): KubeObject & { spec: unknown } => ({
  metadata: { namespace, name },
  spec,
});

/** Records handler calls as short strings. */
function recorder(informer: Informer<KubeObject>): string[] {
  const seen: string[] = [];
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata?.name}`),
    onUpdate: (_a, b) => seen.push(`update ${b.metadata?.name}`),
    onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
  });
  return seen;
}

const waitFor = <T>(check: () => T): Promise<T> => vi.waitFor(check, { timeout: 15_000, interval: 50 });

describe("Informer on a real apiserver", () => {
  let kube: KubeClient;
  beforeAll(async () => {
    await installWidgetCrd();
    kube = createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath });
  });

  test("sees add, update and delete, and only its namespace", async ({ namespace }) => {
    await kube.create(widgets, widget(namespace, "before"));
    const informer = new Informer<KubeObject>({ kube, resource: widgets, namespaces: [namespace] });
    const seen = recorder(informer);
    informer.start();
    try {
      await informer.waitForSync();
      expect(seen).toEqual(["add before"]);
      await kube.create(widgets, widget(namespace, "w1"));
      await kube.patch(widgets, { namespace, name: "w1" }, { type: "merge", body: { spec: { size: 2 } } });
      await kube.delete(widgets, { namespace, name: "w1" });
      await waitFor(() => expect(seen).toEqual(["add before", "add w1", "update w1", "delete w1"]));
      expect(informer.keys()).toEqual([`${namespace}/before`]);
      expect(informer.get(`${namespace}/before`)).toMatchObject({ apiVersion: "test.k3.dodil.io/v1", kind: "Widget" });
    } finally {
      await informer.stop();
    }
  });

  test("survives a cut connection: reconnects with backoff and reports what happened meanwhile", async ({ namespace }) => {
    const proxy = await startTcpProxy();
    const viaProxy = createKubeClient({ kubeconfigPath: proxy.kubeconfigPath });
    await kube.create(widgets, widget(namespace, "doomed"));
    const informer = new Informer<KubeObject>({ kube: viaProxy, resource: widgets, namespaces: [namespace], backoff: { baseMs: 200, maxMs: 2000 } });
    const seen = recorder(informer);
    informer.start();
    try {
      await informer.waitForSync();
      proxy.setMode("refuse");
      const before = proxy.connections;
      await kube.delete(widgets, { namespace, name: "doomed" });
      await kube.create(widgets, widget(namespace, "born"));
      await new Promise((r) => setTimeout(r, 1500));
      // Refused attempts count too: a hot loop shows here as hundreds.
      const attemptsWhileDown = proxy.connections - before;
      proxy.setMode("pass");
      await waitFor(() => expect(informer.keys().sort()).toEqual([`${namespace}/born`]));
      expect(seen).toEqual(["add doomed", "delete doomed", "add born"]);
      // Backoff, not a hot loop: a handful of connection attempts, not thousands.
      expect(attemptsWhileDown).toBeGreaterThan(0);
      expect(attemptsWhileDown).toBeLessThan(10);
    } finally {
      await informer.stop();
      await proxy.close();
    }
  });

  test("relists after a 410 and reports the adds and deletes the broken watch missed", async ({ namespace }) => {
    // The real client, with a watch that goes deaf on demand and then reports 410 Gone.
    let deaf = false;
    let sendGone = false;
    let lists = 0;
    const faulty = delegatingKube(kube, {
      list: (rt, o) => {
        lists++;
        return kube.list(rt, o);
      },
      watch: (rt, o, onEvent) =>
        kube.watch(rt, o, (e: WatchEvent) => {
          if (sendGone) {
            sendGone = false;
            onEvent({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" } });
          } else if (!deaf) onEvent(e);
        }),
    });
    await kube.create(widgets, widget(namespace, "stays"));
    await kube.create(widgets, widget(namespace, "goes"));
    const informer = new Informer<KubeObject>({ kube: faulty, resource: widgets, namespaces: [namespace], backoff: { baseMs: 100, maxMs: 1000 } });
    const seen = recorder(informer);
    informer.start();
    try {
      await informer.waitForSync();
      deaf = true;
      await kube.delete(widgets, { namespace, name: "goes" });
      await kube.create(widgets, widget(namespace, "new"));
      expect(informer.keys().sort()).toEqual([`${namespace}/goes`, `${namespace}/stays`]);
      deaf = false;
      sendGone = true;
      await kube.patch(widgets, { namespace, name: "stays" }, { type: "merge", body: { spec: { poke: 1 } } });
      await waitFor(() => expect(informer.keys().sort()).toEqual([`${namespace}/new`, `${namespace}/stays`]));
      expect(lists).toBe(2);
      expect(seen.slice(2)).toEqual(expect.arrayContaining(["delete goes", "add new", "update stays"]));
    } finally {
      await informer.stop();
    }
  });
});
