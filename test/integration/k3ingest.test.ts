// K3IngestRule and K3IngestJob end to end, as a platform team drives them: a source, a pipeline
// and a rule applied with kubectl, runs watched through status, `kubectl wait` on jobs — on a
// real kube-apiserver, with the emulator standing in for the K3 service.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { K3IngestJob, K3IngestRule } from "../../src/api/gen/index.js";
import { deriveObjects } from "../../src/emulator/objects.js";
import { createK3Client, ingestv1, isK3Error, sourcev1, type K3Client } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectl, kubectlOk } from "../support/kube.js";
import { callBreakdown, conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let k3: K3Client;
let pool: Awaited<ReturnType<typeof namespacePool>>;

const S3 = { bucket: "acme-reports", region: "eu-west-1", prefix: "reports/2026/" };
/** The objects the emulator derives for that bucket (no RPC lists them). */
const objectKeys = deriveObjects(sourcev1.Source.fromPartial({ type: sourcev1.SourceType.SOURCE_TYPE_S3, s3: { ...S3, endpoint: "" } })).map((o) => o.key);
const goodKeys = objectKeys.filter((k) => !k.includes("corrupt"));
const corruptKey = objectKeys.find((k) => k.includes("corrupt"))!;

const chain = (ns: string, opts: { rule?: Partial<K3IngestRule["spec"]>; pipelineName?: string } = {}) => [
  { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, type: "Opaque", stringData: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } },
  { apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Source", metadata: { name: "reports", namespace: ns }, spec: { type: "S3", s3: S3, credential: { type: "AccessKey", secretRef: { name: "creds" } }, sync: { discoverOnCreate: false } } },
  pipeline(ns, opts.pipelineName ?? "chunker"),
  rule(ns, "rule", opts.rule),
];

const pipeline = (ns: string, name: string) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Pipeline",
  metadata: { name, namespace: ns },
  spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: name } }] },
});

const rule = (ns: string, name: string, spec: Partial<K3IngestRule["spec"]> = {}) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3IngestRule",
  metadata: { name, namespace: ns },
  spec: { sourceRef: { name: "reports" }, pipelineRef: { name: "chunker" }, trigger: { type: "OnNewObject" }, ...spec },
});

const job = (ns: string, name: string, spec: Partial<K3IngestJob["spec"]> = {}) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3IngestJob",
  metadata: { name, namespace: ns },
  spec: { ruleRef: { name: "rule" }, ...spec },
});

const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });
const getRule = (ns: string, name = "rule"): Promise<K3IngestRule> => getObject<K3IngestRule>("k3rule", ns, name);
const getJob = (ns: string, name: string): Promise<K3IngestJob> => getObject<K3IngestJob>("k3job", ns, name);
const calls = (rpc: string): number => service.emulator.calls.get(rpc);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readyRule(ns: string, name = "rule"): Promise<K3IngestRule> {
  return eventually(async () => {
    const obj = await getRule(ns, name);
    expect(conditionOf(obj, "Ready")?.status).toBe("True");
    expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
    return obj;
  }, 30_000);
}

async function remoteRule(id: string): Promise<ingestv1.IngestRule | undefined> {
  try {
    return (await k3.ingest.getRule({ id })).rule;
  } catch (err) {
    if (isK3Error(err, "NotFound")) return undefined;
    throw err;
  }
}

async function eventsOf(ns: string, name: string): Promise<{ type: string; reason: string; message: string; count?: number }[]> {
  return (JSON.parse(await kubectlOk(["get", "events", "-n", ns, "--field-selector", `involvedObject.name=${name}`, "-o", "json"])) as { items: { type: string; reason: string; message: string; count?: number }[] }).items;
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("ingest");
  pool = await namespacePool("ing", 16);
  operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")]);
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await operator?.stop();
  k3?.close();
  await service?.emulator.stop();
});

describe("K3IngestRule", () => {
  test("apply source, pipeline and rule together → the rule waits for both, then is Ready and bound, routing on the pipeline's id", async () => {
    const ns = pool.next();
    await apply(...chain(ns).slice(0, 3));
    await eventually(async () => expect(conditionOf(await getObject("k3pipeline", ns, "chunker"), "Ready")?.status).toBe("True"));
    await eventually(async () => expect(conditionOf(await getObject("k3source", ns, "reports"), "Ready")?.status).toBe("True"));
    service.emulator.resetCounters();
    await apply(rule(ns, "rule"));
    const obj = await readyRule(ns);
    await sleep(1500);
    console.log(`[figures] K3IngestRule create with source and pipeline Ready: K3 calls ${JSON.stringify(callBreakdown(service))}`);
    const source = await getObject<{ status: { sourceId: string } }>("k3source", ns, "reports");
    const pl = await getObject<{ status: { pipelineId: string } }>("k3pipeline", ns, "chunker");
    expect(obj.status).toMatchObject({ sourceId: source.status.sourceId, pipelineId: pl.status.pipelineId, binding: { pipelineName: `${ns}/chunker` } });
    expect(conditionOf(obj, "PipelineBound")).toMatchObject({ status: "True" });
    const remote = await remoteRule(obj.status!.ruleId!);
    expect(remote).toMatchObject({ sourceId: source.status.sourceId, pipelineId: pl.status.pipelineId, enabled: true });
    expect(remote?.labels).toMatchObject({ "k3.dodil.io/uid": obj.metadata.uid });
    const table = await kubectlOk(["get", "k3rule", "rule", "-n", ns]);
    expect(table).toMatch(/rule\s+reports\s+chunker\s+True\s+True/);
  });

  test("a missing source: DependencyNotReady naming it, then Ready as soon as it is", async () => {
    const ns = pool.next();
    const [secret, source, pl, r] = chain(ns);
    await apply(pl!, r!);
    await eventually(async () => {
      const o = await getRule(ns);
      expect(conditionOf(o, "Ready")).toMatchObject({ status: "False", reason: "DependencyNotReady" });
      expect(conditionOf(o, "Ready")?.message).toContain("K3Source reports (not found)");
      expect(conditionOf(o, "Reconciling")?.status).toBe("True");
    });
    const started = Date.now();
    await apply(secret!, source!);
    await readyRule(ns);
    expect(Date.now() - started).toBeLessThan(15_000); // the source's watch, not the 30 s retry
  });

  test("a rule on another connection than its source is InvalidSpec, with no call across tenants", async () => {
    const ns = pool.next();
    await apply(...chain(ns, { rule: { connectionRef: { name: "other-tenant" } } }));
    const obj = await eventually(async () => {
      const o = await getRule(ns);
      expect(conditionOf(o, "Synced")).toMatchObject({ status: "False", reason: "InvalidSpec" });
      return o;
    });
    expect(conditionOf(obj, "Synced")?.message).toContain("must use one connection");
    expect(conditionOf(obj, "Stalled")?.status).toBe("True");
    expect(obj.status?.ruleId).toBeUndefined();
  });

  test("a spec change → exactly one UpdateRule with enabled sent; pointing at another pipeline follows its id", async () => {
    const ns = pool.next();
    await apply(...chain(ns), pipeline(ns, "other"));
    const before = await readyRule(ns);
    service.emulator.resetCounters();
    await apply(rule(ns, "rule", { enabled: false }));
    await eventually(async () => expect((await remoteRule(before.status!.ruleId!))?.enabled).toBe(false));
    expect(calls("UpdateRule")).toBe(1);
    await apply(rule(ns, "rule", { enabled: false, pipelineRef: { name: "other" } }));
    const other = await getObject<{ status: { pipelineId: string } }>("k3pipeline", ns, "other");
    await eventually(async () => expect((await getRule(ns)).status?.pipelineId).toBe(other.status.pipelineId));
    expect((await remoteRule(before.status!.ruleId!))?.pipelineId).toBe(other.status.pipelineId);
    expect(calls("UpdateRule")).toBe(2);
    expect(calls("CreateRule")).toBe(0);
  });

  test("its pipeline deleted: PipelineBound=False/PipelineDeleted, one Warning, the rule kept with its id", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    const before = await readyRule(ns);
    await kubectlOk(["delete", "k3pipeline", "chunker", "-n", ns, "--timeout=30s"]);
    const after = await eventually(async () => {
      const o = await getRule(ns);
      expect(conditionOf(o, "PipelineBound")).toMatchObject({ status: "False", reason: "PipelineDeleted" });
      return o;
    });
    expect(conditionOf(after, "Ready")).toMatchObject({ status: "False", reason: "PipelineDeleted" });
    expect(conditionOf(after, "Stalled")?.status).toBe("True");
    expect(after.status?.ruleId).toBe(before.status?.ruleId);
    expect(after.status?.binding?.pipelineName).toBeUndefined();
    expect(await remoteRule(before.status!.ruleId!)).toBeDefined();
    await sleep(3000); // resyncs: still one event, not a count bump each pass
    const warnings = (await eventsOf(ns, "rule")).filter((e) => e.reason === "PipelineDeleted");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.count ?? 1).toBe(1);
  });

  test("jobs from an ingestion run show up in status with counts and one Warning per failed job; idle rules are not polled", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    await readyRule(ns);
    await kubectlOk(["annotate", "k3source", "reports", "-n", ns, "k3.dodil.io/requested-ingestion-at=run-1"]);
    const obj = await eventually(async () => {
      const o = await getRule(ns);
      expect(o.status?.jobs).toMatchObject({ queued: 0, running: 0, failed: 1 });
      expect(o.status?.jobs?.succeeded).toBeGreaterThan(0);
      return o;
    }, 30_000);
    expect(obj.status?.jobs?.succeeded).toBe(objectKeys.length - 1);
    expect(obj.status?.jobs?.recent?.length).toBe(Math.min(10, objectKeys.length));
    expect(obj.status?.jobs?.lastJob?.id).toBe(obj.status?.jobs?.recent?.[0]?.id);
    await eventually(async () => {
      const failed = (await eventsOf(ns, "rule")).filter((e) => e.reason === "IngestJobFailed");
      expect(failed).toHaveLength(1);
      expect(failed[0]!.message).toContain(corruptKey);
    });
    // the source's own poll sees its run end (a change the rule looks at once more), then all is idle
    await eventually(async () => expect((await getObject<{ status?: { sync?: { ingestion?: { state?: string } } } }>("k3source", ns, "reports")).status?.sync?.ingestion?.state).toBe("Succeeded"));
    await sleep(1500);
    const polled = calls("ListIngestJobs");
    await sleep(3500); // three resync periods of an idle rule
    expect(calls("ListIngestJobs")).toBe(polled);
  });

  test("a Schedule rule: the service fires it, the operator only watches; its jobs appear in status", { timeout: 120_000 }, async () => {
    const ns = pool.next();
    await apply(...chain(ns, { rule: { trigger: { type: "Schedule", schedule: "* * * * *" }, filter: { includePaths: ["**/*.md"] } } }));
    await readyRule(ns);
    service.emulator.resetCounters();
    const obj = await eventually(async () => {
      const o = await getRule(ns);
      expect(o.status?.jobs?.succeeded ?? 0).toBeGreaterThan(0);
      return o;
    }, 90_000);
    expect(obj.status?.jobs?.recent?.every((j) => j.objectKey?.endsWith(".md"))).toBe(true);
    expect(calls("TriggerIngest") + calls("TriggerIngestion")).toBe(0);
  });
});

describe("K3IngestJob", () => {
  test("five objects → Complete; kubectl wait works; one TriggerIngest; Started and Completed events", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    await readyRule(ns);
    service.emulator.resetCounters();
    const keys = goodKeys.slice(0, 5);
    const started = Date.now();
    await apply(job(ns, "five", { objectKeys: keys }));
    await kubectlOk(["wait", "--for=condition=Complete", "k3job/five", "-n", ns, "--timeout=60s"]);
    const elapsed = Date.now() - started;
    const obj = await getJob(ns, "five");
    expect(obj.status).toMatchObject({ phase: "Succeeded", counts: { total: 5, succeeded: 5, failed: 0, queued: 0, running: 0 } });
    expect(obj.status?.jobs?.map((j) => j.objectKey).sort()).toEqual([...keys].sort());
    expect(obj.status?.jobs?.every((j) => j.state === "Succeeded" && (j.bytes ?? 0) > 0)).toBe(true);
    expect(obj.status?.startTime).toBeTruthy();
    expect(obj.status?.completionTime).toBeTruthy();
    expect(obj.status?.triggerId).toBeTruthy();
    expect(conditionOf(obj, "Reconciling")).toBeUndefined();
    expect(calls("TriggerIngest")).toBe(1);
    expect((await eventsOf(ns, "five")).map((e) => e.reason).sort()).toEqual(["Completed", "Started"]);
    const table = await kubectlOk(["get", "k3job", "five", "-n", ns]);
    expect(table).toMatch(/five\s+rule\s+Succeeded\s+5\s+0/);
    console.log(`[figures] K3IngestJob apply → Complete (5 objects): ${elapsed} ms; K3 calls: ${JSON.stringify(callBreakdown(service))}`);
    // finished: no more polling
    const polls = calls("GetIngestStatus");
    await sleep(3000);
    expect(calls("GetIngestStatus")).toBe(polls);
  });

  test("a corrupt object fails the run (maxFailedObjects 0), or is tolerated with maxFailedObjects 1", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    await readyRule(ns);
    await apply(job(ns, "strict", { objectKeys: [goodKeys[0]!, corruptKey] }), job(ns, "lenient", { objectKeys: [goodKeys[0]!, corruptKey], maxFailedObjects: 1 }));
    await kubectlOk(["wait", "--for=condition=Failed", "k3job/strict", "-n", ns, "--timeout=60s"]);
    await kubectlOk(["wait", "--for=condition=Complete", "k3job/lenient", "-n", ns, "--timeout=60s"]);
    const strict = await getJob(ns, "strict");
    expect(strict.status).toMatchObject({ phase: "Failed", counts: { failed: 1, succeeded: 1 } });
    expect(conditionOf(strict, "Failed")?.message).toContain(corruptKey);
    expect(conditionOf(strict, "Stalled")?.status).toBe("True");
    expect(strict.status?.jobs?.[0]).toMatchObject({ objectKey: corruptKey, state: "Failed", attempts: 3 });
    expect((await eventsOf(ns, "strict")).some((e) => e.type === "Warning" && e.reason === "Failed")).toBe(true);
  });

  test("an unknown object key: Failed at once, naming the key", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    await readyRule(ns);
    await apply(job(ns, "typo", { objectKeys: [goodKeys[0]!, "reports/2026/nope.pdf"] }));
    await kubectlOk(["wait", "--for=condition=Failed", "k3job/typo", "-n", ns, "--timeout=60s"]);
    const obj = await getJob(ns, "typo");
    expect(conditionOf(obj, "Failed")).toMatchObject({ status: "True", reason: "StartRejected" });
    expect(conditionOf(obj, "Failed")?.message).toContain("object_keys[1]");
    expect(obj.status?.triggerId).toBeUndefined();
  });

  test("a disabled rule: Failed with the service's reason", async () => {
    const ns = pool.next();
    await apply(...chain(ns, { rule: { enabled: false } }));
    await readyRule(ns);
    await apply(job(ns, "disabled-run"));
    await kubectlOk(["wait", "--for=condition=Failed", "k3job/disabled-run", "-n", ns, "--timeout=60s"]);
    expect(conditionOf(await getJob(ns, "disabled-run"), "Failed")?.message).toMatch(/disabled/i);
  });

  test("a rule that does not exist yet: Pending/DependencyNotReady, then runs when it appears", async () => {
    const ns = pool.next();
    await apply(job(ns, "early", { objectKeys: goodKeys.slice(0, 2) }));
    await eventually(async () => {
      const o = await getJob(ns, "early");
      expect(o.status?.phase).toBe("Pending");
      expect(conditionOf(o, "Reconciling")).toMatchObject({ status: "True", reason: "DependencyNotReady" });
      expect(conditionOf(o, "Failed")?.status).toBe("False");
    });
    await apply(...chain(ns));
    await kubectlOk(["wait", "--for=condition=Complete", "k3job/early", "-n", ns, "--timeout=60s"]);
  });

  test("a lost TriggerIngest answer and an operator restart start the run only once", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    const ruleId = (await readyRule(ns)).status!.ruleId!;
    service.emulator.resetCounters();
    service.emulator.faults.loseAnswerNext("TriggerIngest", 1);
    await apply(job(ns, "once", { objectKeys: goodKeys.slice(0, 3) }));
    await kubectlOk(["wait", "--for=condition=Complete", "k3job/once", "-n", ns, "--timeout=60s"]);
    await operator.stop();
    operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")]);
    await sleep(2000);
    const jobs = (await k3.ingest.listIngestJobs({ ruleId, pageSize: 1000 })).jobs;
    const obj = await getJob(ns, "once");
    expect(calls("TriggerIngest")).toBe(2); // the lost answer was asked again...
    expect(jobs).toHaveLength(3); // ...and replayed: one run of three objects
    expect(new Set(jobs.map((j) => j.triggerId))).toEqual(new Set([obj.status?.triggerId]));
  });

  test("ttlSecondsAfterFinished deletes the finished object", async () => {
    const ns = pool.next();
    await apply(...chain(ns));
    await readyRule(ns);
    await apply(job(ns, "short", { objectKeys: goodKeys.slice(0, 1), ttlSecondsAfterFinished: 1 }));
    await eventually(async () => expect((await kubectl(["get", "k3job", "short", "-n", ns])).exitCode).not.toBe(0), 30_000);
  });
});
