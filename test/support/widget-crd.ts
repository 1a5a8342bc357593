// A tiny CRD of the runtime's own (`widgets.test.k3.dodil.io`) so the runtime's integration
// tests do not depend on the product CRDs, plus a TCP proxy that can cut connections.
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { ResourceType } from "../../src/runtime/index.js";
import { kubectlOk, namespaceName, testCluster } from "./kube.js";

/** The test kind: namespaced, with a status subresource, free-form spec and status. */
export const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };

const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.test.k3.dodil.io" },
  spec: {
    group: "test.k3.dodil.io",
    names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      },
    ],
  },
};

/** Applies the Widget CRD (idempotent; several test files may call it) and waits until it is served. */
export async function installWidgetCrd(): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(crd) });
  await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.test.k3.dodil.io"]);
  // Established can precede discovery by a moment; a list succeeding is the real signal.
  for (let i = 0; ; i++) {
    try {
      await kubectlOk(["get", "widgets.test.k3.dodil.io", "-A"]);
      return;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A loopback TCP proxy in front of the apiserver whose connections a test can cut, and refuse while down. */
export interface CuttableProxy {
  /** a kubeconfig like the admin one but pointing at the proxy */
  kubeconfigPath: string;
  /** destroys every open connection; while `down`, new ones are refused too */
  cut(options: { down: boolean }): void;
  /** accepts connections again */
  up(): void;
  /** connections accepted so far */
  readonly accepted: number;
  close(): Promise<void>;
}

/** Starts a `CuttableProxy` to the test cluster's apiserver. */
export async function startCuttableProxy(): Promise<CuttableProxy> {
  const admin = parse(await readFile(testCluster().kubeconfigPath, "utf8")) as { clusters: { cluster: { server: string } }[] };
  const target = new URL(admin.clusters[0]!.cluster.server);
  const sockets = new Set<Socket>();
  let down = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  for (const c of admin.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(testCluster().scratchDir, `${namespaceName("proxy")}.kubeconfig`);
  await writeFile(kubeconfigPath, stringify(admin), { mode: 0o600 });
  return {
    kubeconfigPath,
    cut(options) {
      down = options.down;
      for (const s of sockets) s.destroy();
    },
    up() {
      down = false;
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
