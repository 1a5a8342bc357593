// Free loopback ports for etcd and the apiserver, so several control planes (parallel test
// runs, `control-plane up` beside `npm test`) never collide on fixed ports.
import { createServer, type Server } from "node:net";

/**
 * Returns `count` distinct TCP ports that were free on 127.0.0.1 a moment ago. They are
 * held together while being chosen, so they differ from each other; another process can
 * still take one before our child binds it, which callers handle by retrying the start.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("listening socket has no port");
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
