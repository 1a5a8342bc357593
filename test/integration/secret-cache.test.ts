// The operator's Secret cache on a real apiserver: Secrets are watched metadata-only, and data is
// read (one GET) and held only for the Secrets an object references. Unrelated Secrets — some of
// ~1 MiB, like Helm release Secrets, some applied with kubectl (whose last-applied annotation
// repeats the data) — leave no data in the operator, and a steady state makes no Secret reads.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { CoreTypes, createKubeClient, type KubeObject } from "../../src/runtime/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk, testCluster } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let pool: Awaited<ReturnType<typeof namespacePool>>;

const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A metric's value summed over its series, read from the operator's own registry. */
async function metric(name: string): Promise<number> {
  const m = await operator.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** GETs of Secrets the apiserver served (cluster-wide; this file's operator is the only reader meanwhile). */
async function apiserverSecretGets(): Promise<number> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("apiserver_request_total{") && line.includes('resource="secrets"') && line.includes('verb="GET"')) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("secret-cache");
  pool = await namespacePool("secrets", 2);
  operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")]);
});

afterAll(async () => {
  await operator?.stop();
  await service?.emulator.stop();
});

describe("the Secret cache", () => {
  test("the apiserver answers a metadata-only list without Secret data (what the watch asks for)", async () => {
    const ns = pool.names[0]!;
    await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "probe", namespace: ns }, stringData: { key: "value" } });
    const kube = createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath });
    const list = await kube.list<KubeObject & { data?: unknown }>(CoreTypes.Secret, { namespace: ns, metadataOnly: true });
    const probe = list.items.find((s) => s.metadata?.name === "probe");
    expect(probe?.kind).toBe("PartialObjectMetadata");
    expect(probe && "data" in probe).toBe(false);
    const full = await kube.list<KubeObject & { data?: unknown }>(CoreTypes.Secret, { namespace: ns });
    expect(full.items.find((s) => s.metadata?.name === "probe")?.data).toBeDefined();
  });

  test("holds data only for referenced Secrets, none for unrelated ones (some of 1 MiB), and reads nothing in a steady state", { timeout: 120_000 }, async () => {
    const ns = pool.names[1]!;
    // Unrelated Secrets: 4 of ~0.9 MiB created (the size limit is 1 MiB), 20 small ones applied.
    const big = "x".repeat(900 * 1024);
    for (let i = 0; i < 4; i++) {
      const release = { apiVersion: "v1", kind: "Secret", metadata: { name: `release-${i}`, namespace: ns }, data: { release: Buffer.from(big).toString("base64") } };
      await kubectlOk(["create", "-f", "-"], { input: JSON.stringify(release) });
    }
    const small = Array.from({ length: 20 }, (_, i) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: `unrelated-${i}`, namespace: ns }, stringData: { password: `p-${i}-${"y".repeat(2000)}` } }));
    await apply(...small);
    const unrelated = [...Array.from({ length: 4 }, (_, i) => `${ns}/release-${i}`), ...small.map((s) => `${ns}/${s.metadata.name}`)];

    // What objects use: a credential Secret (any type) and a connection Secret.
    const token = service.emulator.mintToken({ tenant: service.tenant, ttlSeconds: 24 * 3600 });
    await apply(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "docs-creds", namespace: ns }, type: "Opaque", stringData: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "team-k3", namespace: ns }, type: "k3.dodil.io/connection", stringData: { token } },
      {
        apiVersion: "k3.dodil.io/v1alpha1",
        kind: "K3Source",
        metadata: { name: "docs", namespace: ns },
        spec: { type: "S3", s3: { bucket: "docs", region: "eu-west-1" }, credential: { type: "AccessKey", secretRef: { name: "docs-creds" } }, sync: { discoverOnCreate: false } },
      },
      {
        apiVersion: "k3.dodil.io/v1alpha1",
        kind: "K3Pipeline",
        metadata: { name: "chunker", namespace: ns },
        spec: {
          template: { name: "document-chunker" },
          parameters: { chunkSize: 512 },
          destinations: [{ name: "main", type: "VectorStore", config: { collection: "c" } }],
          connectionRef: { name: "team-k3" },
        },
      },
    );
    for (const [kind, name] of [["k3source", "docs"], ["k3pipeline", "chunker"]] as const) {
      await eventually(async () => expect(conditionOf(await getObject(kind, ns, name), "Ready")?.status).toBe("True"), 30_000);
    }

    // The structure of the cache: every Secret is known by identity, data only for the two in use.
    expect(operator.secrets.heldKeys().sort()).toEqual([`${ns}/docs-creds`, `${ns}/team-k3`]);
    await eventually(() => expect(operator.secrets.informer.get(`${ns}/release-3`)).toBeDefined());
    for (const key of unrelated) {
      const cached = operator.secrets.informer.get(key);
      expect(cached, key).toBeDefined();
      expect(cached && "data" in cached, `${key} has no data`).toBe(false);
      expect(cached?.metadata?.annotations, `${key} has no annotations (kubectl's last-applied one repeats the data)`).toBeUndefined();
      expect(JSON.stringify(cached).length, `${key} is a small skeleton`).toBeLessThan(400);
    }
    expect(await metric("k3_secrets_held")).toBe(2);
    const cachedBytes = unrelated.reduce((sum, key) => sum + JSON.stringify(operator.secrets.informer.get(key)).length, 0);
    console.log(`[figures] ${unrelated.length} unrelated Secrets (${Math.round((4 * big.length + small.length * 2004) / 1024)} KiB of data): ${cachedBytes} bytes in the operator's cache, data held for ${operator.secrets.heldKeys().length} referenced Secrets`);

    // Steady state: resyncs every second reconcile both objects (each reads its Secret), yet no GET.
    await sleep(1500);
    const before = { reads: await metric("k3_secret_reads_total"), gets: await apiserverSecretGets(), reconciles: await metric("k3_reconcile_total") };
    await sleep(3500);
    expect(await metric("k3_reconcile_total"), "the resyncs did run").toBeGreaterThanOrEqual(before.reconciles + 4);
    expect(await metric("k3_secret_reads_total")).toBe(before.reads);
    expect(await apiserverSecretGets()).toBe(before.gets);

    // A rotated Secret is read again (once), and used.
    await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "docs-creds", namespace: ns }, type: "Opaque", stringData: { accessKeyId: "AKIAI44QH8DHBEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });
    await eventually(() => expect(service.emulator.calls.get("DeleteCredential")).toBe(1));
    expect(await metric("k3_secret_reads_total")).toBeGreaterThan(before.reads);

    // An object that stops referencing a Secret releases its data.
    await kubectlOk(["delete", "k3pipeline", "chunker", "-n", ns, "--timeout=30s"]);
    await eventually(() => expect(operator.secrets.heldKeys()).toEqual([`${ns}/docs-creds`]));
  });
});
