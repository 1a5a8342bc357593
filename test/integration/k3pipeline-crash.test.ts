// The operator killed (SIGKILL) after the service committed a create but before the status
// write recorded its id: after a restart there must be exactly one remote pipeline.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { stringify } from "yaml";
import type { K3Pipeline } from "../../src/api/gen/index.js";
import { createK3Client, type K3Client } from "../../src/grpc/index.js";
import { kubeTest as test, kubectlOk, testCluster } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let k3: K3Client;
const children: ChildProcess[] = [];

/** The operator as its own process, exactly as `npm start` runs it. */
function startOperatorProcess(namespace: string): ChildProcess {
  const args = ["--import", "tsx", "src/main.ts", "--kubeconfig", testCluster().kubeconfigPath, "--k3-endpoint", service.emulator.address,
    "--k3-insecure", "--k3-token-file", service.tokenFile, "--metrics-port", "0", "--resync-period", "1s", "--log-level", "warn", "--namespaces", namespace];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("crash");
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await Promise.all(children.map((c) => kill(c, "SIGKILL")));
  k3?.close();
  await service?.emulator.stop();
});

describe("a crash between a committed create and its status write", () => {
  test("leaves exactly one remote pipeline after the restart", async ({ namespace }) => {
    // Every create commits but its answer is lost, so the id never reaches the operator. Creates
    // are held 1 s on arrival, so the test blocks adoption (below) before the first one commits:
    // no race with the client's retry backoff or the reconciler's requeue.
    service.emulator.faults.loseAnswerNext("CreatePipeline", 1_000);
    service.emulator.faults.setRpcLatency("CreatePipeline", 1_000);
    const first = startOperatorProcess(namespace);
    await kubectlOk(["apply", "-f", "-"], {
      input: stringify({
        apiVersion: "k3.dodil.io/v1alpha1",
        kind: "K3Pipeline",
        metadata: { name: "crashy", namespace },
        spec: { template: { name: "document-chunker" }, parameters: { chunkSize: 128 }, destinations: [{ name: "d", type: "S3", config: { bucket: "b" } }] },
      }),
    });
    // The first create has arrived and waits out its latency: keep the operator from finding it by its labels.
    await eventually(() => expect(service.emulator.calls.get("CreatePipeline")).toBeGreaterThan(0), 30_000);
    service.emulator.faults.failNext("ListPipelines", 1_000, 14 /* UNAVAILABLE */);
    const listsBefore = service.emulator.calls.get("ListPipelines");
    // A new ListPipelines means the create's (lost) answer came back and the operator looked for it: the create committed.
    await eventually(() => expect(service.emulator.calls.get("ListPipelines")).toBeGreaterThan(listsBefore), 30_000);
    await kill(first, "SIGKILL");

    const obj = await getObject<K3Pipeline>("k3pipeline", namespace, "crashy");
    expect(obj.status?.pipelineId).toBeUndefined(); // the crash really came before the id was recorded
    const owned = async () => (await k3.pipeline.listPipelines({ pageSize: 100, labelFilter: { "k3.dodil.io/uid": obj.metadata.uid! } })).pipelines;

    service.emulator.faults.clear();
    const created = await owned();
    const seen = Object.fromEntries(["CreatePipeline", "ListPipelines", "GetPipeline"].map((rpc) => [rpc, service.emulator.calls.get(rpc)]));
    expect({ created: created.length, seen }).toMatchObject({ created: 1 });

    startOperatorProcess(namespace);
    const healed = await eventually(async () => {
      const o = await getObject<K3Pipeline>("k3pipeline", namespace, "crashy");
      expect(conditionOf(o, "Ready")?.status).toBe("True");
      return o;
    }, 60_000);
    expect(healed.status?.pipelineId).toBe(created[0]!.id);
    expect(await owned()).toHaveLength(1);
  }, 120_000);
});
