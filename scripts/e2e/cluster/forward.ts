// A userspace TCP forwarder: the cluster e2e's stand-in for kube-proxy (the apiserver's Service
// IP) and the way pods on the node's bridge reach the loopback emulator. It listens only on
// addresses of the e2e's own bridge and connects only to loopback.
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A listening forwarder. */
export interface Forwarder {
  /** `host:port` it listens on. */
  address: string;
  port: number;
  /** Connections forwarded so far (a figure, and proof that the path was used). */
  connections(): number;
  close(): Promise<void>;
}

/** Listens on `listen.host:listen.port` (0 = a free port) and pipes every connection to 127.0.0.1:`targetPort`. */
export async function startForwarder(listen: { host: string; port: number }, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((inbound) => {
    count++;
    const outbound = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A reset on one side ends the other; the error itself is the peer's business.
      socket.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : listen.port;
  return {
    address: `${listen.host}:${port}`,
    port,
    connections: () => count,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
