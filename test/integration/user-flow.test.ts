// The whole flow, exactly as the README tells a user: apply examples/complete/ with kubectl,
// wait, ask for an ingestion run, watch the rule's jobs, `kubectl wait` the job, delete the
// pipeline and see the rule flagged, delete everything and see nothing left remotely.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createK3Client, type K3Client } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let k3: K3Client;
let ns: string;

type Obj = Parameters<typeof conditionOf>[0] & { metadata: { uid: string; finalizers?: string[] }; status?: Record<string, unknown> };
const get = (kind: string, name: string): Promise<Obj> => getObject<Obj>(kind, ns, name);
const k = (...args: string[]): Promise<string> => kubectlOk([...args, "-n", ns]);

beforeAll(async () => {
  await installCrds();
  service = await startTestService("user-flow");
  ns = (await namespacePool("flow", 1)).next();
  operator = await startTestOperator(service, ["--namespaces", ns]);
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await operator?.stop();
  k3?.close();
  await service?.emulator.stop();
});

test("examples/complete: apply, wait, ingest, watch, kubectl wait, delete the pipeline, delete everything", { timeout: 180_000 }, async () => {
  const started = Date.now();
  await k("apply", "-f", "examples/complete/");
  await k("wait", "--for=condition=Ready", "k3src/docs-bucket", "k3pl/docs-to-markdown", "k3rule/docs-pdfs", "--timeout=60s");
  await k("wait", "--for=condition=Complete", "k3job/docs-backfill", "--timeout=60s");
  const flowSeconds = (Date.now() - started) / 1000;
  // Ready comes first; the discovery run started on create finishes a moment later.
  await eventually(async () => {
    const source = await get("k3source", "docs-bucket");
    expect((source.status?.["sync"] as { discovery?: { objectsDiscovered?: number } }).discovery?.objectsDiscovered).toBeGreaterThan(0);
  });
  const rule = await get("k3ingestrule", "docs-pdfs");
  expect(conditionOf(rule, "PipelineBound")?.status).toBe("True");
  const backfill = await get("k3ingestjob", "docs-backfill");
  expect((backfill.status?.["counts"] as { succeeded: number; failed: number }).failed).toBe(0);
  expect((backfill.status?.["counts"] as { succeeded: number }).succeeded).toBeGreaterThan(0);

  // An ingestion run on request; the rule's jobs appear in its status (the PDFs it matches were sent by the backfill already: a full run sends them again).
  await k("annotate", "k3src", "docs-bucket", "k3.dodil.io/requested-ingestion-at=2026-12-01T12:00:00Z", "k3.dodil.io/full-sync=true");
  await eventually(async () => {
    const r = await get("k3ingestrule", "docs-pdfs");
    const jobs = r.status?.["jobs"] as { succeeded?: number; running?: number; queued?: number };
    expect(jobs.succeeded).toBeGreaterThan((backfill.status?.["counts"] as { succeeded: number }).succeeded);
    expect((jobs.running ?? 0) + (jobs.queued ?? 0)).toBe(0);
  }, 60_000);
  expect(await k("get", "k3rule", "docs-pdfs")).toMatch(/docs-pdfs\s+docs-bucket\s+docs-to-markdown\s+True\s+True\s+0\s+\d+\s+0\s+Succeeded/);

  // The pipeline deleted: the rule is kept and flagged.
  await k("delete", "k3pl", "docs-to-markdown", "--timeout=30s");
  await eventually(async () => expect(conditionOf(await get("k3ingestrule", "docs-pdfs"), "PipelineBound")).toMatchObject({ status: "False", reason: "PipelineDeleted" }));
  const events = await k("get", "events", "--field-selector", "involvedObject.name=docs-pdfs", "-o", "jsonpath={.items[*].reason}");
  expect(events.split(" ").filter((r) => r === "PipelineDeleted")).toHaveLength(1);

  // Everything deleted: no finalizer stuck, nothing left at the service.
  await k("delete", "-f", "examples/complete/", "--timeout=60s", "--ignore-not-found");
  expect((await k("get", "k3", "-o", "name")).trim()).toBe("");
  const [sources, credentials, rules, pipelines] = await Promise.all([
    k3.source.listSources({ pageSize: 100 }),
    k3.source.listCredentials({ pageSize: 100 }),
    k3.ingest.listRules({ pageSize: 100 }),
    k3.pipeline.listPipelines({ pageSize: 100 }),
  ]);
  expect(sources.sources.filter((s) => !s.internal)).toEqual([]);
  expect({ credentials: credentials.credentials.length, rules: rules.rules.length, pipelines: pipelines.pipelines.length }).toEqual({ credentials: 0, rules: 0, pipelines: 0 });
  console.log(`[figures] examples/complete apply → all Ready and the backfill Complete: ${flowSeconds.toFixed(1)} s`);
});
