// Two leaders must never act at once. The operator runs as a child process whose apiserver
// connections go through a TCP proxy; the proxy then holds them (open, unanswered), as a hanging
// apiserver would. Another replica takes the Lease once it expires. The old leader must have
// stopped — no K3 write, no byte to the apiserver — before the new one acquires.
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { stringify } from "yaml";
import type { K3Pipeline } from "../../src/api/gen/index.js";
import { isAlive, startProcess, stopProcess } from "../../src/controlplane/processes.js";
import { createK3Client, type K3Client } from "../../src/grpc/index.js";
import { createKubeClient, type Lease, LeaderElector } from "../../src/runtime/index.js";
import { kubectlOk, kubeTest as test, testCluster } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, startTestService, type TestService } from "../support/operator.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const lease = { leaseDurationMs: 6000, renewDeadlineMs: 3000, retryPeriodMs: 500 };
const flags = ["--lease-duration", "6s", "--renew-deadline", "3s", "--retry-period", "500ms"];

let service: TestService;
let proxy: TcpProxy;
let k3: K3Client;

beforeAll(async () => {
  await installCrds();
  service = await startTestService("failover");
  proxy = await startTcpProxy();
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  k3?.close();
  await proxy?.close();
  await service?.emulator.stop();
});

describe("leader election under a hanging apiserver", () => {
  test("the old leader stops writing before another replica acquires the Lease", { timeout: 90_000 }, async ({ namespace }) => {
    const logFile = join(testCluster().scratchDir, `${namespace}-operator.log`);
    const child = startProcess({
      command: process.execPath,
      args: [
        "--import", import.meta.resolve("tsx"), join(import.meta.dirname, "..", "..", "src", "main.ts"),
        "--kubeconfig", proxy.kubeconfigPath,
        "--k3-endpoint", service.emulator.address,
        "--k3-insecure",
        "--k3-token-file", service.tokenFile,
        "--metrics-port", "0",
        "--namespaces", namespace,
        "--resync-period", "1s",
        "--leader-elect",
        "--leader-election-namespace", namespace,
        "--log-level", "debug",
        ...flags,
      ],
      logFile,
      detached: false,
    });
    let exitedAt = Number.POSITIVE_INFINITY;
    child.once("exit", () => (exitedAt = performance.now()));
    const standby = createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath });
    let acquired: { at: number; bytes: number; connections: number; mutating: number } | undefined;
    const replica = new LeaderElector({
      kube: standby,
      namespace,
      name: "k3-operator",
      identity: "replica-b",
      ...lease,
      onStartedLeading: () => {
        acquired = { at: performance.now(), bytes: proxy.bytesFromClients, connections: proxy.connections, mutating: service.emulator.calls.mutating };
      },
      onStoppedLeading: () => undefined,
    });
    try {
      await kubectlOk(["apply", "-f", "-"], {
        input: stringify({
          apiVersion: "k3.dodil.io/v1alpha1",
          kind: "K3Pipeline",
          metadata: { name: "chunker", namespace },
          spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: "docs" } }] },
        }),
      });
      const ready = await eventually(async () => {
        const obj = await getObject<K3Pipeline>("k3pipeline", namespace, "chunker");
        expect(conditionOf(obj, "Ready")?.status).toBe("True");
        return obj;
      }, 40_000);
      const holder = await getObject<Lease>("lease", namespace, "k3-operator");
      expect(holder.spec?.holderIdentity).toMatch(new RegExp(`^${hostname()}_${child.pid}_`));

      proxy.setMode("hold");
      replica.start();
      await eventually(() => expect(acquired).toBeDefined(), 30_000);
      // The remote pipeline vanishes: a leader still acting would recreate it on its next resync.
      await k3.pipeline.deletePipeline({ id: ready.status!.pipelineId! });
      await new Promise((r) => setTimeout(r, 5000));

      expect(service.emulator.calls.mutating).toBe(acquired!.mutating + 1); // the test's own DeletePipeline
      expect(proxy.bytesFromClients).toBe(acquired!.bytes);
      expect(proxy.connections).toBe(acquired!.connections);
      expect(exitedAt).toBeLessThan(acquired!.at);
    } finally {
      await replica.stop();
      if (child.pid !== undefined && isAlive(child.pid)) await stopProcess(child.pid, 2000);
    }
  });
});
