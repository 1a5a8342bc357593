// What one create and a restart cost, counted where it lands: K3 calls at the emulator, writes
// at the apiserver (its own apiserver_request_total). The floor of a create is one Create RPC,
// the finalizer write, one status write and the Created Event; a create answer that already
// says the object is Ready needs no read after it. A restart reads each object once and writes
// nothing. A long resync period keeps drift polls out of the window.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { K3IngestRule } from "../../src/api/gen/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { callBreakdown, conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let pool: Awaited<ReturnType<typeof namespacePool>>;

const apiVersion = "k3.dodil.io/v1alpha1";
const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const operatorFlags = (): string[] => ["--resync-period", "10m", "--namespaces", pool.names.join(",")];

const pipeline = (namespace: string, name: string) => ({
  apiVersion, kind: "K3Pipeline", metadata: { name, namespace },
  spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: name } }] },
});
const source = (namespace: string, name: string) => ({
  apiVersion, kind: "K3Source", metadata: { name, namespace },
  spec: { type: "HTTP", http: { url: `https://files.example.com/${name}/` }, sync: { discoverOnCreate: false } },
});
const rule = (namespace: string, name: string) => ({
  apiVersion, kind: "K3IngestRule", metadata: { name, namespace },
  spec: { sourceRef: { name: "docs" }, pipelineRef: { name: "chunker" }, trigger: { type: "OnNewObject" } },
});

/** Writes the apiserver counted, by `resource[/subresource] VERB`, for some resources. */
async function apiserverWrites(resources: string[]): Promise<Record<string, number>> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const label = (name: string): string => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? "";
    if (!resources.includes(label("resource")) || !["POST", "PUT", "PATCH", "APPLY", "DELETE"].includes(label("verb"))) continue;
    const key = `${label("resource")}${label("subresource") ? `/${label("subresource")}` : ""} ${label("verb")}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return counts;
}

function between(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) if (n - (before[key] ?? 0) !== 0) delta[key] = n - (before[key] ?? 0);
  return delta;
}

async function ready(kind: string, namespace: string, name: string): Promise<void> {
  await eventually(async () => {
    const obj = await getObject<{ status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>(kind, namespace, name);
    expect(conditionOf(obj, "Ready")?.status).toBe("True");
  }, 30_000);
}

/** Applies `obj`, waits for Ready and for the trailing Event, and returns what the create cost. */
async function createCost(resource: string, obj: { kind: string; metadata: { namespace: string; name: string } }) {
  const before = await apiserverWrites([resource, "events"]);
  service.emulator.resetCounters();
  await apply(obj);
  await ready(obj.kind.toLowerCase(), obj.metadata.namespace, obj.metadata.name);
  await sleep(1_500); // a second pass, if one were made, and the Event, land in this window
  return { writes: between(before, await apiserverWrites([resource, "events"])), calls: callBreakdown(service) };
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("create-cost");
  pool = await namespacePool("cost", 3);
  operator = await startTestOperator(service, operatorFlags());
});

afterAll(async () => {
  await operator?.stop();
  await service?.emulator.stop();
});

describe("the cost of one create", () => {
  test("K3Pipeline: one CreatePipeline and no read; the finalizer, one status write and one Event", async () => {
    const namespace = pool.next();
    await apply(pipeline(namespace, "warm-up")); // the template catalog is read once per connection
    await ready("k3pipeline", namespace, "warm-up");
    const { writes, calls } = await createCost("k3pipelines", pipeline(namespace, "p1"));
    expect(calls).toEqual({ CreatePipeline: 1 });
    expect(writes).toEqual({ "k3pipelines POST": 1, "k3pipelines PATCH": 1, "k3pipelines/status PATCH": 1, "events POST": 1 });
  });

  test("K3IngestRule: one CreateRule and no read (binding and readiness come with the answer); three writes", async () => {
    const namespace = pool.next();
    await apply(source(namespace, "docs"), pipeline(namespace, "chunker"));
    await ready("k3source", namespace, "docs");
    await ready("k3pipeline", namespace, "chunker");
    const { writes, calls } = await createCost("k3ingestrules", rule(namespace, "r1"));
    expect(calls).toEqual({ CreateRule: 1 });
    expect(writes).toEqual({ "k3ingestrules POST": 1, "k3ingestrules PATCH": 1, "k3ingestrules/status PATCH": 1, "events POST": 1 });
    const obj = await getObject<K3IngestRule>("k3rule", namespace, "r1");
    expect(obj.status?.binding?.pipelineName).toBe(`${namespace}/chunker`);
    expect(conditionOf(obj, "PipelineBound")?.status).toBe("True");
    expect(obj.status?.jobs).toMatchObject({ queued: 0, running: 0, succeeded: 0, failed: 0 });
  });
});

describe("the cost of a restart", () => {
  test("K3IngestRule that has run jobs: one GetRule and no job read (the triggers' digest is in status); no write", async () => {
    const namespace = pool.next();
    await apply(source(namespace, "docs"), pipeline(namespace, "chunker"), rule(namespace, "r1"));
    await ready("k3ingestrule", namespace, "r1");
    await kubectlOk(["annotate", "k3source", "docs", "-n", namespace, "k3.dodil.io/requested-ingestion-at=run-1"]);
    await eventually(async () => {
      const source = await getObject<{ status?: { sync?: { ingestion?: { state?: string } } } }>("k3source", namespace, "docs");
      expect(source.status?.sync?.ingestion?.state).toBe("Succeeded");
      const obj = await getObject<K3IngestRule>("k3rule", namespace, "r1");
      expect(obj.status?.jobs).toMatchObject({ queued: 0, running: 0, succeeded: 1 });
      expect(obj.status?.jobs?.observedTriggers).toMatch(/^[\w-]{22}$/);
    }, 30_000);
    // the rule reads its jobs once more when the source's run ends; wait until it has
    await eventually(async () => {
      const seen = service.emulator.calls.get("ListIngestJobs");
      await sleep(1_000);
      expect(service.emulator.calls.get("ListIngestJobs")).toBe(seen);
    });
    await operator.stop();
    const before = await apiserverWrites(["k3sources", "k3pipelines", "k3ingestrules", "events"]);
    service.emulator.resetCounters();
    operator = await startTestOperator(service, operatorFlags());
    // every rule in the pool's namespaces (this one and the one created in the test above) is looked at once
    await eventually(() => expect(service.emulator.calls.get("GetRule")).toBe(2));
    await sleep(1_500);
    expect(service.emulator.calls.get("ListIngestJobs")).toBe(0);
    expect(between(before, await apiserverWrites(["k3sources", "k3pipelines", "k3ingestrules", "events"]))).toEqual({});
  });
});
