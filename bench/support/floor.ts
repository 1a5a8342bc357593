// The floor of the scale benchmark, run as its own process (as the operator is): the least a
// controller must do to bring K3IngestRules to Ready — per object its finalizer write, its one
// CreateRule and one status write — with the operator's own building blocks (informer, work
// queue, object writer, K3 client, token bucket) at the same worker count and K3 call budget.
// Nothing else: no references resolved from caches, no events, no conditions beyond Ready.
//
//   node --import tsx bench/support/floor.ts CONFIG_JSON
// CONFIG_JSON: { kubeconfigPath, endpoint, tokenFile, namespace, workers, k3Qps, ids: { sources: {name: id}, pipelines: {name: id} } }
// Prints "ready" once its cache is synced; stops on SIGTERM.
import { readFileSync } from "node:fs";
import { finalizer } from "../../src/api/keys.js";
import type { K3IngestRule } from "../../src/api/gen/index.js";
import { K3Resources } from "../../src/controllers/resources.js";
import { desiredRule, ruleMessage } from "../../src/controllers/rule/desired.js";
import { createK3Client } from "../../src/grpc/index.js";
import { createKubeClient, createRequestId, Informer, newObjectWriter, objectKey, TokenBucket, WorkQueue } from "../../src/runtime/index.js";

/** What the benchmark hands the floor process. */
export interface FloorConfig {
  kubeconfigPath: string;
  endpoint: string;
  tokenFile: string;
  namespace: string;
  workers: number;
  /** 0 = no budget */
  k3Qps: number;
  /** remote ids of the sources and pipelines the rules name (resolved once by the benchmark, as the operator reads them from its caches) */
  ids: { sources: Record<string, string>; pipelines: Record<string, string> };
}

const config = JSON.parse(process.argv[2] ?? "{}") as FloorConfig;
const kube = createKubeClient({ kubeconfigPath: config.kubeconfigPath });
const k3 = createK3Client({ endpoint: config.endpoint, insecure: true, token: () => readFileSync(config.tokenFile, "utf8").trim() });
const limiter = config.k3Qps > 0 ? new TokenBucket({ qps: config.k3Qps, burst: config.k3Qps * 2 }) : undefined;
const writer = newObjectWriter<K3IngestRule>(kube, K3Resources.K3IngestRule);
const informer = new Informer<K3IngestRule>({ kube, resource: K3Resources.K3IngestRule, namespaces: [config.namespace] });
const queue = new WorkQueue();
const done = new Set<string>();
informer.addHandlers({ onAdd: (obj) => queue.add(objectKey(obj)) });

async function bringUp(key: string): Promise<void> {
  const cached = informer.get(key);
  if (!cached || done.has(key)) return;
  const obj = await writer.addFinalizer(cached, finalizer);
  const sourceId = config.ids.sources[obj.spec.sourceRef?.name ?? ""] ?? "";
  const pipelineId = config.ids.pipelines[obj.spec.pipelineRef?.name ?? ""] ?? "";
  await limiter?.take();
  const { rule } = await k3.ingest.createRule({ requestId: createRequestId(obj.metadata.uid ?? key), rule: ruleMessage(desiredRule(obj, { sourceId, pipelineId })) });
  const now = new Date().toISOString();
  const generation = obj.metadata.generation;
  await writer.patchStatus(obj, {
    ruleId: rule?.id,
    sourceId,
    pipelineId,
    observedGeneration: generation,
    conditions: [{ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: now, observedGeneration: generation }],
  });
  done.add(key);
}

informer.start();
await informer.waitForSync();
const running = queue.run(config.workers, async (key) => {
  try {
    await bringUp(key);
    queue.forget(key);
  } catch (err) {
    console.error(`floor: ${key}: ${String(err)}`);
    queue.addRateLimited(key);
  }
});
console.log("ready");
process.once("SIGTERM", () => {
  void (async () => {
    await queue.shutDown({ drain: false });
    await running;
    await informer.stop();
    k3.close();
    process.exit(0);
  })();
});
