// K3Source end to end, the way a user drives it: kubectl apply of a Secret and a source, then
// status — credentials of every type, rotation, OAuth consent, discovery and ingestion runs —
// on a real kube-apiserver, with the emulator standing in for the K3 service.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { K3Source } from "../../src/api/gen/index.js";
import { createK3Client, isK3Error, sourcev1, type K3Client } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { callBreakdown, conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let k3: K3Client;
let pool: Awaited<ReturnType<typeof namespacePool>>;
/** Every log line the operator wrote (debug level), for the secret-leak check. */
const logLines: string[] = [];
const logStream = { write: (line: string) => void logLines.push(line) };
/** The emulator's clock runs this far from the real one (OAuth expiry tests move it). */
let clockOffsetMs = 0;

const ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** Every secret value any test puts into a Secret; none may appear in a log, an Event or a status. */
const secretValues = new Set<string>([ACCESS_KEY_ID, SECRET_ACCESS_KEY]);

function secret(namespace: string, name: string, data: Record<string, string | undefined>) {
  for (const v of Object.values(data)) if (v) secretValues.add(v);
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", stringData: data };
}

function s3Source(namespace: string, name: string, spec: Partial<K3Source["spec"]> = {}, annotations?: Record<string, string>) {
  return {
    apiVersion: "k3.dodil.io/v1alpha1",
    kind: "K3Source",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      type: "S3",
      s3: { bucket: `bucket-${name}`, region: "eu-west-1", prefix: "docs/" },
      credential: { type: "AccessKey", secretRef: { name: `${name}-creds` } },
      ...spec,
    },
  };
}

const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });
const get = (ns: string, name: string): Promise<K3Source> => getObject<K3Source>("k3source", ns, name);
const calls = (rpc: string): number => service.emulator.calls.get(rpc);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ready(ns: string, name: string, timeoutMs = 20_000): Promise<K3Source> {
  return eventually(async () => {
    const obj = await get(ns, name);
    expect(conditionOf(obj, "Ready")?.status).toBe("True");
    expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
    return obj;
  }, timeoutMs);
}

async function remoteSource(id: string): Promise<sourcev1.Source | undefined> {
  try {
    return (await k3.source.getSource({ id })).source;
  } catch (err) {
    if (isK3Error(err, "NotFound")) return undefined;
    throw err;
  }
}

const credentialsOf = async (uid: string): Promise<sourcev1.Credential[]> =>
  (await k3.source.listCredentials({ pageSize: 1000, labelFilter: { "k3.dodil.io/uid": uid } })).credentials;

/** Writes the apiserver counted on k3sources and events: POST, PUT, PATCH, DELETE. */
async function apiserverWrites(): Promise<number> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{") || !/resource="(k3sources|events)"/.test(line)) continue;
    if (!/verb="(POST|PUT|PATCH|DELETE|APPLY|CREATE|UPDATE)"/.test(line)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function eventsOf(ns: string, name: string): Promise<{ type: string; reason: string; message: string }[]> {
  const list = JSON.parse(await kubectlOk(["get", "events", "-n", ns, "--field-selector", `involvedObject.name=${name}`, "-o", "json"])) as {
    items: { type: string; reason: string; message: string }[];
  };
  return list.items;
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("sources", { now: () => Date.now() + clockOffsetMs });
  pool = await namespacePool("src", 24);
  operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")], logStream);
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await operator?.stop();
  k3?.close();
  await service?.emulator.stop();
});

describe("K3Source", () => {
  test("S3 with a validated access key → Ready, ids in status, discovery on create counted", async () => {
    const ns = pool.next();
    service.emulator.resetCounters();
    const writesBefore = await apiserverWrites();
    const started = Date.now();
    await apply(secret(ns, "docs-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "docs"));
    const obj = await eventually(async () => {
      const o = await ready(ns, "docs");
      expect(o.status?.sync?.discovery?.state).toBe("Succeeded");
      return o;
    });
    const elapsed = Date.now() - started;
    expect(obj.status?.sourceId).toMatch(/^src_/);
    expect(obj.status?.state).toBe("Active");
    expect(obj.status?.credential).toMatchObject({ valid: true });
    expect(obj.status?.credential?.id).toMatch(/^cred_/);
    expect(obj.status?.sync?.discovery?.objectsDiscovered).toBeGreaterThan(0);
    expect(obj.status?.sync?.discovery?.id).toBeTruthy();
    expect(conditionOf(obj, "CredentialReady")).toMatchObject({ status: "True" });
    expect(conditionOf(obj, "Reconciling")).toBeUndefined();
    expect(conditionOf(obj, "Stalled")).toBeUndefined();
    const remote = await remoteSource(obj.status!.sourceId!);
    expect(remote?.credentialId).toBe(obj.status?.credential?.id);
    expect(remote?.s3).toMatchObject({ bucket: "bucket-docs", region: "eu-west-1", prefix: "docs/" });
    expect(remote?.labels).toMatchObject({ "k3.dodil.io/uid": obj.metadata.uid, "k3.dodil.io/name": "docs" });
    expect({ create: calls("CreateSource"), store: calls("StoreCredential"), validate: calls("ValidateCredential"), discover: calls("TriggerDiscovery") }).toEqual({
      create: 1, store: 1, validate: 1, discover: 1,
    });
    // the printer columns a user reads first
    const table = await kubectlOk(["get", "k3src", "docs", "-n", ns]);
    expect(table).toMatch(/docs\s+S3\s+Active\s+True\s+True\s+\d+/);
    await sleep(1500);
    console.log(`[figures] apply → Ready (S3, validated credential, discovery done): ${elapsed} ms; apiserver writes (k3sources + events): ${(await apiserverWrites()) - writesBefore}; K3 calls: ${JSON.stringify(callBreakdown(service))}`);
  });

  test("idle: resyncs read the source but make no write, no mutating call and no GetSyncStatus", async () => {
    const ns = pool.next();
    await apply(secret(ns, "idle-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "idle"));
    await eventually(async () => expect((await ready(ns, "idle")).status?.sync?.discovery?.state).toBe("Succeeded"));
    await sleep(1500); // the last poll after the run ended
    const before = { writes: await apiserverWrites(), mutating: service.emulator.calls.mutating, sync: calls("GetSyncStatus"), get: calls("GetSource") };
    const rv = (await get(ns, "idle")).metadata.resourceVersion;
    await sleep(3500); // three resync periods
    expect(await apiserverWrites()).toBe(before.writes);
    expect(service.emulator.calls.mutating).toBe(before.mutating);
    expect(calls("GetSyncStatus")).toBe(before.sync);
    expect(calls("GetSource")).toBeGreaterThan(before.get); // the resyncs did run
    expect((await get(ns, "idle")).metadata.resourceVersion).toBe(rv);
  });

  test("rotation: a changed Secret → one StoreCredential, one UpdateSource, one DeleteCredential; the source uses the new one", async () => {
    const ns = pool.next();
    await apply(secret(ns, "rot-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "rot"));
    const first = await ready(ns, "rot");
    const oldId = first.status!.credential!.id!;
    service.emulator.resetCounters();
    const rotated = "AKIAI44QH8DHBEXAMPLE";
    await apply(secret(ns, "rot-creds", { accessKeyId: rotated, secretAccessKey: SECRET_ACCESS_KEY }));
    const after = await eventually(async () => {
      const o = await get(ns, "rot");
      expect(o.status?.credential?.id).not.toBe(oldId);
      expect(calls("DeleteCredential")).toBe(1);
      return o;
    });
    expect({ store: calls("StoreCredential"), update: calls("UpdateSource"), del: calls("DeleteCredential") }).toEqual({ store: 1, update: 1, del: 1 });
    expect((await remoteSource(after.status!.sourceId!))?.credentialId).toBe(after.status?.credential?.id);
    expect((await credentialsOf(after.metadata.uid!)).map((c) => c.id)).toEqual([after.status?.credential?.id]);
  });

  test("a credential the service rejects: CredentialInvalid, Stalled, a Warning, no source; fixing the Secret makes it Ready", async () => {
    const ns = pool.next();
    service.emulator.resetCounters();
    await apply(secret(ns, "bad-creds", { accessKeyId: "AKIAINVALIDKEY000000", secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "bad"));
    const obj = await eventually(async () => {
      const o = await get(ns, "bad");
      expect(conditionOf(o, "CredentialReady")).toMatchObject({ status: "False", reason: "CredentialInvalid" });
      return o;
    });
    expect(conditionOf(obj, "Ready")).toMatchObject({ status: "False", reason: "CredentialInvalid" });
    expect(conditionOf(obj, "Stalled")).toMatchObject({ status: "True", reason: "CredentialInvalid" });
    expect(conditionOf(obj, "CredentialReady")?.message).toContain("rejected");
    expect(obj.status?.credential?.valid).toBe(false);
    expect(calls("CreateSource")).toBe(0);
    await eventually(async () => expect((await eventsOf(ns, "bad")).some((e) => e.type === "Warning" && e.reason === "CredentialInvalid")).toBe(true));
    await sleep(2500);
    expect({ store: calls("StoreCredential"), validate: calls("ValidateCredential") }).toEqual({ store: 1, validate: 1 }); // held, not retried
    await apply(secret(ns, "bad-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }));
    const fixed = await ready(ns, "bad");
    expect(conditionOf(fixed, "Stalled")).toBeUndefined();
    // the rejected credential was never used, and is gone
    expect((await credentialsOf(fixed.metadata.uid!)).map((c) => c.id)).toEqual([fixed.status?.credential?.id]);
  });

  test("a missing Secret is named and waited for; a missing key is InvalidSpec naming it; each is picked up when fixed", async () => {
    const ns = pool.next();
    await apply(s3Source(ns, "nosecret"));
    await eventually(async () => {
      const o = await get(ns, "nosecret");
      expect(conditionOf(o, "Ready")).toMatchObject({ status: "False", reason: "DependencyNotReady" });
      expect(conditionOf(o, "Ready")?.message).toContain(`credential Secret ${ns}/nosecret-creds not found`);
      expect(conditionOf(o, "Reconciling")?.status).toBe("True");
    });
    await apply(secret(ns, "nosecret-creds", { accessKeyId: ACCESS_KEY_ID }));
    await eventually(async () => {
      const o = await get(ns, "nosecret");
      expect(conditionOf(o, "Synced")).toMatchObject({ status: "False", reason: "InvalidSpec" });
      expect(conditionOf(o, "Synced")?.message).toContain('no "secretAccessKey" key');
      expect(conditionOf(o, "Stalled")?.status).toBe("True");
    });
    const started = Date.now();
    await apply(secret(ns, "nosecret-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }));
    await ready(ns, "nosecret");
    // picked up by the Secret watch, not by the 30 s dependency retry or the 1 h invalid-spec hold
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("validate: false stores without validating; turning it on reads the stored credential (GetCredential) and validates it once", async () => {
    const ns = pool.next();
    service.emulator.resetCounters();
    await apply(secret(ns, "nv-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "nv", { credential: { type: "AccessKey", secretRef: { name: "nv-creds" }, validate: false } }));
    const first = await ready(ns, "nv");
    expect(first.status?.credential?.valid).toBeUndefined();
    expect(calls("ValidateCredential")).toBe(0);
    await apply(s3Source(ns, "nv", { credential: { type: "AccessKey", secretRef: { name: "nv-creds" }, validate: true } }));
    await eventually(async () => expect((await get(ns, "nv")).status?.credential?.valid).toBe(true));
    expect({ get: calls("GetCredential"), validate: calls("ValidateCredential"), store: calls("StoreCredential") }).toEqual({ get: 1, validate: 1, store: 1 });
    expect((await get(ns, "nv")).status?.credential?.id).toBe(first.status?.credential?.id);
  });

  test.each([
    { type: "GCS", block: { gcs: { bucket: "gcs-docs" } }, cred: { type: "AccessKey", data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } } },
    { type: "AzureBlob", block: { azureBlob: { account: "acct", container: "docs" } }, cred: { type: "AccessKey", data: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } } },
    { type: "GitHub", block: { github: { owner: "acme", repo: "handbook", branch: "main" } }, cred: { type: "PersonalAccessToken", data: { token: "ghp_exampleExampleExample0123" } } },
    { type: "SharePoint", block: { sharePoint: { siteUrl: "https://acme.sharepoint.com/sites/docs", library: "Shared" } }, cred: undefined },
    { type: "HTTP", block: { http: { url: "https://docs.example.com/guide/" } }, cred: { type: "ApiKey", data: { apiKey: "k3-example-api-key-0123456789" } } },
  ])("type $type reaches Ready with its config at the service", async ({ type, block, cred }) => {
    const ns = pool.next();
    const name = type.toLowerCase();
    const objs: object[] = [];
    if (cred) objs.push(secret(ns, `${name}-creds`, cred.data));
    objs.push({
      apiVersion: "k3.dodil.io/v1alpha1",
      kind: "K3Source",
      metadata: { name, namespace: ns },
      spec: { type, ...block, ...(cred ? { credential: { type: cred.type, secretRef: { name: `${name}-creds` } } } : {}) },
    });
    await apply(...objs);
    const obj = await ready(ns, name);
    const remote = await remoteSource(obj.status!.sourceId!);
    expect(remote?.type).toBe(sourcev1.SourceType[`SOURCE_TYPE_${type === "AzureBlob" ? "AZURE_BLOB" : type === "SharePoint" ? "SHAREPOINT" : type.toUpperCase()}` as keyof typeof sourcev1.SourceType]);
    expect(remote?.credentialId).toBe(obj.status?.credential?.id ?? "");
  });

  test("requested discovery and ingestion: one trigger per annotation value, also across an operator restart", async () => {
    const ns = pool.next();
    await apply(secret(ns, "runs-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "runs", { sync: { discoverOnCreate: false } }));
    await ready(ns, "runs");
    service.emulator.resetCounters();
    await kubectlOk(["annotate", "k3source", "runs", "-n", ns, "k3.dodil.io/requested-discovery-at=2026-12-01T10:00:00Z"]);
    await eventually(async () => {
      const o = await get(ns, "runs");
      expect(o.status?.sync?.lastHandledDiscoveryAt).toBe("2026-12-01T10:00:00Z");
      expect(o.status?.sync?.discovery?.state).toBe("Succeeded");
    });
    await kubectlOk(["annotate", "k3source", "runs", "-n", ns, "k3.dodil.io/requested-ingestion-at=2026-12-01T10:05:00Z", "k3.dodil.io/full-sync=true"]);
    await eventually(async () => {
      const o = await get(ns, "runs");
      expect(o.status?.sync?.lastHandledIngestionAt).toBe("2026-12-01T10:05:00Z");
      expect(o.status?.sync?.ingestion).toMatchObject({ state: "Succeeded", fullSync: true });
      expect(o.status?.sync?.ingestion?.id).toBeTruthy();
    });
    // a restart sees the handled values in status and triggers nothing again
    await operator.stop();
    operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")], logStream);
    await sleep(2500);
    expect({ discovery: calls("TriggerDiscovery"), ingestion: calls("TriggerIngestion") }).toEqual({ discovery: 1, ingestion: 1 });
    await kubectlOk(["annotate", "--overwrite", "k3source", "runs", "-n", ns, "k3.dodil.io/requested-discovery-at=2026-12-01T11:00:00Z"]);
    await eventually(async () => expect((await get(ns, "runs")).status?.sync?.lastHandledDiscoveryAt).toBe("2026-12-01T11:00:00Z"));
    expect(calls("TriggerDiscovery")).toBe(2);
    const events = await eventsOf(ns, "runs");
    expect(events.filter((e) => e.reason === "DiscoveryTriggered")).toHaveLength(2);
  });

  test("InternalS3 is found by type, never written, and can still be asked for a discovery run", async () => {
    const ns = pool.next();
    service.emulator.resetCounters();
    await apply({ apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Source", metadata: { name: "internal", namespace: ns }, spec: { type: "InternalS3", managementPolicy: "ObserveOnly" } });
    const obj = await ready(ns, "internal");
    expect(obj.status?.sourceId).toMatch(/^src_internal_/);
    expect(obj.metadata.finalizers ?? []).toEqual([]);
    expect(service.emulator.calls.mutating).toBe(0);
    await kubectlOk(["annotate", "k3source", "internal", "-n", ns, "k3.dodil.io/requested-discovery-at=now-1"]);
    await eventually(async () => expect((await get(ns, "internal")).status?.sync?.discovery).toMatchObject({ state: "Succeeded", objectsDiscovered: 4 }));
    expect(calls("TriggerDiscovery")).toBe(1);
    await kubectlOk(["delete", "k3source", "internal", "-n", ns]);
    expect(await remoteSource(obj.status!.sourceId!)).toBeDefined();
    expect(calls("DeleteSource")).toBe(0);
  });

  test("delete (policy Delete): the source, then every credential it stored, then the finalizer", async () => {
    const ns = pool.next();
    await apply(secret(ns, "del-creds", { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), s3Source(ns, "del"));
    const obj = await ready(ns, "del");
    await kubectlOk(["delete", "k3source", "del", "-n", ns, "--timeout=30s"]);
    expect(await remoteSource(obj.status!.sourceId!)).toBeUndefined();
    expect(await credentialsOf(obj.metadata.uid!)).toEqual([]);
  });

  describe("OAuth", () => {
    const oauthSource = (ns: string, name: string) => ({
      apiVersion: "k3.dodil.io/v1alpha1",
      kind: "K3Source",
      metadata: { name, namespace: ns },
      spec: {
        type: "GoogleDrive",
        googleDrive: { folderId: "folder-1" },
        credential: { type: "OAuth", secretRef: { name: `${name}-oauth` }, oauth: { provider: "Google", redirectUri: "https://k3.dodil.io/oauth/callback" } },
      },
    });

    async function awaitingUrl(ns: string, name: string, notState?: string): Promise<{ url: string; state: string }> {
      return eventually(async () => {
        const o = await get(ns, name);
        expect(conditionOf(o, "CredentialReady")).toMatchObject({ status: "False", reason: "AwaitingOAuthCode" });
        expect(conditionOf(o, "Stalled")).toMatchObject({ status: "True", reason: "AwaitingOAuthCode" });
        expect(o.status?.oauth?.authorizationUrl).toMatch(/^https:\/\/oauth\.k3-emulator\.invalid\/google\/authorize\?/);
        expect(o.status?.oauth?.state).not.toBe(notState);
        return { url: o.status!.oauth!.authorizationUrl!, state: o.status!.oauth!.state! };
      });
    }

    test("consent URL → redirect URL pasted into the Secret → exchanged → Ready; refreshed before expiry", async () => {
      const ns = pool.next();
      service.emulator.resetCounters();
      await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "drive-oauth", namespace: ns }, type: "Opaque" }, oauthSource(ns, "drive"));
      const { state } = await awaitingUrl(ns, "drive");
      expect(calls("CreateSource")).toBe(0);
      // The token will expire 4 minutes from now (inside the 5-minute refresh window).
      clockOffsetMs = -56 * 60_000;
      try {
        const redirect = `https://k3.dodil.io/oauth/callback?code=consent-${state}&state=${state}`;
        await apply(secret(ns, "drive-oauth", { code: redirect }));
        const obj = await ready(ns, "drive");
        expect(conditionOf(obj, "CredentialReady")?.status).toBe("True");
        expect(obj.status?.oauth?.authorizationUrl).toBeUndefined();
        expect(calls("ExchangeOAuthCode")).toBe(1);
        await eventually(() => expect(calls("RefreshOAuthToken")).toBeGreaterThanOrEqual(1));
        expect((await eventsOf(ns, "drive")).some((e) => e.reason === "OAuthTokenRefreshed")).toBe(true);
        const remote = await remoteSource(obj.status!.sourceId!);
        expect(remote?.credentialId).toBe(obj.status?.credential?.id);
      } finally {
        clockOffsetMs = 0;
      }
    });

    test("an expired consent asks again with a new URL; a redirect URL of another consent is refused", async () => {
      const ns = pool.next();
      await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "late-oauth", namespace: ns }, type: "Opaque" }, oauthSource(ns, "late"));
      const first = await awaitingUrl(ns, "late");
      clockOffsetMs = 11 * 60_000; // the state lives 10 minutes
      try {
        await apply(secret(ns, "late-oauth", { code: `consent-${first.state}` }));
        const second = await awaitingUrl(ns, "late", first.state);
        clockOffsetMs = 0;
        await apply(secret(ns, "late-oauth", { code: `https://k3.dodil.io/oauth/callback?code=consent-${first.state}&state=${first.state}` }));
        await eventually(async () => expect(conditionOf(await get(ns, "late"), "CredentialReady")).toMatchObject({ status: "False", reason: "CredentialInvalid" }));
        await apply(secret(ns, "late-oauth", { code: `consent-${second.state}` }));
        await ready(ns, "late");
      } finally {
        clockOffsetMs = 0;
      }
    });

    test("the restart-oauth annotation asks for consent again, and the new credential replaces the old", async () => {
      const ns = pool.next();
      await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "again-oauth", namespace: ns }, type: "Opaque" }, oauthSource(ns, "again"));
      const first = await awaitingUrl(ns, "again");
      await apply(secret(ns, "again-oauth", { code: `consent-${first.state}` }));
      const before = await ready(ns, "again");
      await kubectlOk(["annotate", "k3source", "again", "-n", ns, "k3.dodil.io/restart-oauth=1"]);
      const second = await awaitingUrl(ns, "again", first.state);
      await apply(secret(ns, "again-oauth", { code: `consent-${second.state}` }));
      const after = await eventually(async () => {
        const o = await ready(ns, "again");
        expect(o.status?.credential?.id).not.toBe(before.status?.credential?.id);
        return o;
      });
      await eventually(async () => expect((await credentialsOf(after.metadata.uid!)).map((c) => c.id)).toEqual([after.status?.credential?.id]));
    });
  });

  test("no secret value reaches a log line, an Event or a status", async () => {
    expect(logLines.length).toBeGreaterThan(50);
    const statuses = await kubectlOk(["get", "k3sources", "-A", "-o", "json"]);
    const events = await kubectlOk(["get", "events", "-A", "-o", "json"]);
    const haystacks = { logs: logLines.join("\n"), statuses, events };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const value of secretValues) expect(text.includes(value), `${where} contains a secret value`).toBe(false);
    }
  });
});
