// Answers not to be trusted (issue 9): an OK without a body, a list filter the service
// ignored, a 40 KiB error message, enum values no proto of ours has — through the emulator's malformed-answer hooks. None may
// produce a duplicate, adopt a stranger's object, orphan one, or make a status patch fail.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { RunningOperator } from "../../src/operator.js";
import { createK3Client, type K3Client } from "../../src/grpc/index.js";
import { kubectlOk } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let k3: K3Client;
let pool: Awaited<ReturnType<typeof namespacePool>>;

type Obj = Parameters<typeof conditionOf>[0] & { metadata: { uid: string }; status?: { pipelineId?: string } };
const pipeline = (ns: string, name: string) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Pipeline",
  metadata: { name, namespace: ns },
  spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: name } }] },
});
const apply = (obj: object): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: stringify(obj) });
const ready = (ns: string, name: string): Promise<Obj> =>
  eventually(async () => {
    const o = await getObject<Obj>("k3pipeline", ns, name);
    expect(conditionOf(o, "Ready")?.status).toBe("True");
    return o;
  }, 30_000);
const owned = async (uid: string): Promise<number> => (await k3.pipeline.listPipelines({ pageSize: 1000, labelFilter: { "k3.dodil.io/uid": uid } })).pipelines.filter((p) => p.labels["k3.dodil.io/uid"] === uid).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await installCrds();
  service = await startTestService("malformed");
  pool = await namespacePool("bad-answers", 5);
  operator = await startTestOperator(service, ["--resync-period", "500ms", "--namespaces", pool.names.join(",")]);
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await operator?.stop();
  k3?.close();
  await service?.emulator.stop();
});

describe("malformed answers", () => {
  test("an OK GetPipeline without a body is a transient error, never 'gone': no second pipeline", async () => {
    const ns = pool.next();
    await apply(pipeline(ns, "p"));
    const obj = await ready(ns, "p");
    const creates = service.emulator.calls.get("CreatePipeline");
    // Both ways of finding it answer OK with nothing: read as "gone", this would create a second one.
    service.emulator.faults.malformNext("GetPipeline", "empty-body", 5);
    service.emulator.faults.malformNext("ListPipelines", "empty-body", 5);
    await sleep(4000); // several resyncs meet the empty answers
    service.emulator.faults.clear(); // whatever is left must not answer the test's own reads
    expect(service.emulator.calls.get("CreatePipeline")).toBe(creates);
    expect(await owned(obj.metadata.uid)).toBe(1);
    await ready(ns, "p");
  });

  test("a list filter the service ignored adopts nobody else's pipeline", async () => {
    const ns = pool.next();
    await apply(pipeline(ns, "first"));
    await ready(ns, "first");
    const strangers = (await k3.pipeline.listPipelines({ pageSize: 1000 })).pipelines.map((p) => ({ id: p.id, uid: p.labels["k3.dodil.io/uid"] }));
    // The create's answer is lost, so the next pass must find the pipeline by its owner labels —
    // and the service ignores the label filter while it looks.
    service.emulator.faults.loseAnswerNext("CreatePipeline", 1);
    service.emulator.faults.malformNext("ListPipelines", "ignore-filter", 3);
    await apply(pipeline(ns, "second"));
    const second = await ready(ns, "second");
    expect(strangers.map((s) => s.id)).not.toContain(second.status?.pipelineId);
    expect(await owned(second.metadata.uid)).toBe(1);
    // and every other pipeline still belongs to its owner
    for (const s of strangers) expect(await owned(s.uid!)).toBe(1);
  });

  test("a 40 KiB error message is cut before it reaches the condition; the status write succeeds and the retry gets through", async () => {
    const ns = pool.next();
    service.emulator.faults.malformNext("CreatePipeline", "huge-error", 1, 14 /* UNAVAILABLE */);
    await apply(pipeline(ns, "big"));
    const obj = await ready(ns, "big");
    expect(await owned(obj.metadata.uid)).toBe(1);
    const events = JSON.parse(await kubectlOk(["get", "events", "-n", ns, "-o", "json"])) as { items: { message: string }[] };
    expect(events.items.every((e) => e.message.length <= 1024)).toBe(true);
  });

  test("enum values this build does not know: Ready=False naming the state, the status write succeeds, no duplicate; Ready again after", async () => {
    const ns = pool.next();
    await apply(pipeline(ns, "newer"));
    const obj = await ready(ns, "newer");
    const creates = service.emulator.calls.get("CreatePipeline");
    service.emulator.faults.malformNext("GetPipeline", "unknown-enum", 1000);
    const held = await eventually(async () => {
      const o = await getObject<Obj>("k3pipeline", ns, "newer");
      expect(conditionOf(o, "Ready")?.message).toContain("pipeline state 999 is unknown to this operator");
      return o;
    }, 30_000);
    expect(conditionOf(held, "Ready")?.status).toBe("False");
    expect(held.status?.pipelineId).toBe(obj.status?.pipelineId);
    service.emulator.faults.clear();
    await ready(ns, "newer");
    expect(service.emulator.calls.get("CreatePipeline")).toBe(creates);
    expect(await owned(obj.metadata.uid)).toBe(1);
  });
});
