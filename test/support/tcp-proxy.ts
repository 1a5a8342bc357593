// A loopback TCP proxy in front of the test apiserver, for fault tests: it can pass traffic,
// refuse connections (a server that is down) or hold them (a server that hangs: connections stay
// open, bytes go in, nothing comes back). It counts every connection attempt and every byte
// clients send, whatever the mode, so a test can prove what a client did while cut off.
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { namespaceName, testCluster } from "./kube.js";

/** What the proxy does with traffic: forward it, refuse connections, or hold them open and answer nothing. */
export type ProxyMode = "pass" | "refuse" | "hold";

/** A running proxy; see the file comment. */
export interface TcpProxy {
  /** a kubeconfig like the admin one but pointing at the proxy */
  kubeconfigPath: string;
  /**
   * `refuse` destroys open connections and refuses new ones; `hold` stops forwarding on every open
   * connection (for good: a held connection never passes again) and holds new ones too; `pass`
   * forwards new connections again.
   */
  setMode(mode: ProxyMode): void;
  /** connection attempts so far, refused and held ones included */
  readonly connections: number;
  /** bytes received from clients so far, held ones included */
  readonly bytesFromClients: number;
  /** destroys every connection and stops listening */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
  held: boolean;
}

/** Starts a `TcpProxy` to the test cluster's apiserver on a free loopback port. */
export async function startTcpProxy(): Promise<TcpProxy> {
  const admin = parse(await readFile(testCluster().kubeconfigPath, "utf8")) as { clusters: { cluster: { server: string } }[] };
  const target = new URL(admin.clusters[0]!.cluster.server);
  const pairs = new Set<Pair>();
  let mode: ProxyMode = "pass";
  let connections = 0;
  let bytesFromClients = 0;
  const destroy = (pair: Pair): void => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };
  const server: Server = createServer((client) => {
    connections++;
    if (mode === "refuse") return void client.destroy();
    const pair: Pair = { client, upstream: undefined, held: mode === "hold" };
    pairs.add(pair);
    client.on("error", () => destroy(pair));
    client.on("close", () => destroy(pair));
    if (!pair.held) {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
      pair.upstream = upstream;
      upstream.on("error", () => destroy(pair));
      upstream.on("close", () => destroy(pair));
      upstream.on("data", (chunk: Buffer) => {
        if (!pair.held) client.write(chunk);
      });
    }
    client.on("data", (chunk: Buffer) => {
      bytesFromClients += chunk.length;
      if (!pair.held) pair.upstream?.write(chunk);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  for (const c of admin.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(testCluster().scratchDir, `${namespaceName("proxy")}.kubeconfig`);
  await writeFile(kubeconfigPath, stringify(admin), { mode: 0o600 });
  return {
    kubeconfigPath,
    setMode(next) {
      mode = next;
      if (next === "refuse") for (const pair of [...pairs]) destroy(pair);
      if (next === "hold") for (const pair of pairs) pair.held = true;
    },
    get connections() {
      return connections;
    },
    get bytesFromClients() {
      return bytesFromClients;
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      server.close();
      await once(server, "close");
    },
  };
}
