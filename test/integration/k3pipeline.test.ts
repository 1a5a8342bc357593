// K3Pipeline end to end, the way a user drives it: kubectl apply, then status — on a real
// kube-apiserver, with the emulator standing in for the K3 service.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { K3Pipeline } from "../../src/api/gen/index.js";
import { createK3Client, isK3Error, pipelinev1, type K3Client } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectl, kubectlOk } from "../support/kube.js";
import {
  conditionOf,
  eventually,
  getObject,
  installCrds,
  namespacePool,
  startTestOperator,
  startTestService,
  type TestService,
} from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let k3: K3Client;
let pool: Awaited<ReturnType<typeof namespacePool>>;

function manifest(namespace: string, name: string, spec: Partial<K3Pipeline["spec"]> = {}, annotations?: Record<string, string>) {
  return {
    apiVersion: "k3.dodil.io/v1alpha1",
    kind: "K3Pipeline",
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      template: { name: "document-chunker", version: "1.1.0" },
      parameters: { chunkSize: 512 },
      destinations: [{ name: "main", type: "VectorStore", config: { collection: "docs" } }],
      ...spec,
    },
  };
}

const apply = (obj: object): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: stringify(obj) });
const get = (ns: string, name: string): Promise<K3Pipeline> => getObject<K3Pipeline>("k3pipeline", ns, name);

/** Waits for Ready=True and returns the object. */
async function ready(ns: string, name: string): Promise<K3Pipeline> {
  return eventually(async () => {
    const obj = await get(ns, name);
    expect(conditionOf(obj, "Ready")?.status).toBe("True");
    expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
    return obj;
  });
}

async function remote(id: string): Promise<pipelinev1.Pipeline | undefined> {
  try {
    return (await k3.pipeline.getPipeline({ id })).pipeline;
  } catch (err) {
    if (isK3Error(err, "NotFound")) return undefined;
    throw err;
  }
}

async function remotesOwnedBy(uid: string): Promise<pipelinev1.Pipeline[]> {
  return (await k3.pipeline.listPipelines({ pageSize: 1000, labelFilter: { "k3.dodil.io/uid": uid } })).pipelines;
}

const calls = (rpc: string): number => service.emulator.calls.get(rpc);
const mutatingCalls = (): number => service.emulator.calls.mutating;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes the apiserver counted on k3pipelines and events (any namespace): POST, PUT, PATCH, DELETE. */
async function apiserverWrites(): Promise<number> {
  const text = await kubectlOk(["get", "--raw", "/metrics"]);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{") || !/resource="(k3pipelines|events)"/.test(line)) continue;
    if (!/verb="(POST|PUT|PATCH|DELETE|APPLY|CREATE|UPDATE)"/.test(line)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("pipelines");
  pool = await namespacePool("pl", 24);
  operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")]);
  k3 = createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant: service.tenant }) });
});

afterAll(async () => {
  await operator?.stop();
  k3?.close();
  await service?.emulator.stop();
});

describe("K3Pipeline", () => {
  test("apply → Ready with status.pipelineId, the remote pipeline labelled with its owner", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "p1"));
    const obj = await ready(namespace, "p1");
    expect(obj.status?.pipelineId).toMatch(/^pl_/);
    expect(obj.status?.template).toEqual({ id: "tpl_document_chunker", name: "document-chunker", version: "1.1.0" });
    expect(obj.status?.state).toBe("Active");
    expect(conditionOf(obj, "Synced")).toMatchObject({ status: "True", reason: "ReconcileSuccess" });
    expect(obj.metadata.finalizers).toContain("k3.dodil.io/finalizer");
    const p = await remote(obj.status!.pipelineId!);
    expect(p?.displayName).toBe(`${namespace}/p1`);
    expect(p?.labels).toMatchObject({ "k3.dodil.io/uid": obj.metadata.uid, "k3.dodil.io/namespace": namespace, "k3.dodil.io/name": "p1" });
  });

  test("a spec change makes exactly one UpdatePipeline, and the remote pipeline follows", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "p2"));
    const before = await ready(namespace, "p2");
    const updates = calls("UpdatePipeline");
    await apply(manifest(namespace, "p2", { parameters: { chunkSize: 1024, overlap: 16 } }));
    await eventually(async () => {
      const p = await remote(before.status!.pipelineId!);
      expect(p?.parameters).toEqual({ chunkSize: 1024, overlap: 16 });
    });
    await ready(namespace, "p2");
    await sleep(2_500); // two more resyncs: nothing else may happen
    expect(calls("UpdatePipeline") - updates).toBe(1);
    const p = await remote(before.status!.pipelineId!);
    expect(p?.displayName).toBe(`${namespace}/p2`);
  });

  test("steady state is silent: resyncs read, but write nothing to the apiserver or the service", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "quiet"));
    await ready(namespace, "quiet");
    await sleep(1_500); // let the create's follow-up passes settle
    const mutating = mutatingCalls();
    const writes = await apiserverWrites();
    const reads = calls("GetPipeline");
    const rv = (await get(namespace, "quiet")).metadata.resourceVersion;
    await sleep(4_000); // about four resync periods
    expect(calls("GetPipeline")).toBeGreaterThan(reads); // the resyncs did run
    expect(mutatingCalls()).toBe(mutating);
    expect(await apiserverWrites()).toBe(writes);
    expect((await get(namespace, "quiet")).metadata.resourceVersion).toBe(rv);
  });

  test("delete with deletionPolicy Delete removes the remote pipeline, then the finalizer", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "gone"));
    const id = (await ready(namespace, "gone")).status!.pipelineId!;
    await kubectlOk(["delete", "k3pipeline", "gone", "-n", namespace, "--timeout=30s"]);
    expect((await kubectl(["get", "k3pipeline", "gone", "-n", namespace])).exitCode).not.toBe(0);
    expect(await remote(id)).toBeUndefined();
  });

  test("delete with deletionPolicy Orphan keeps the remote pipeline", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "orphan", { deletionPolicy: "Orphan" }));
    const id = (await ready(namespace, "orphan")).status!.pipelineId!;
    const deletes = calls("DeletePipeline");
    await kubectlOk(["delete", "k3pipeline", "orphan", "-n", namespace, "--timeout=30s"]);
    await sleep(2_000); // a real window: a late delete would land here
    expect(calls("DeletePipeline")).toBe(deletes);
    expect(await remote(id)).toBeDefined();
  });

  test("spec.externalId adopts an existing pipeline instead of creating one", async () => {
    const namespace = pool.next();
    const { pipeline } = await k3.pipeline.createPipeline({
      requestId: `adopt-${namespace}`,
      pipeline: { displayName: `${namespace}/adopt`, template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 },
        destinations: [{ name: "main", type: pipelinev1.DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: { collection: "docs" } }] },
    });
    const creates = calls("CreatePipeline");
    await apply(manifest(namespace, "adopt", { externalId: pipeline!.id }));
    const obj = await ready(namespace, "adopt");
    expect(obj.status?.pipelineId).toBe(pipeline!.id);
    await sleep(2_000); // two resyncs: still no create
    expect(calls("CreatePipeline")).toBe(creates);
    // Adopted under Full management: our owner labels are added to it.
    await eventually(async () => expect((await remote(pipeline!.id))?.labels["k3.dodil.io/uid"]).toBe(obj.metadata.uid));
  });

  test("ObserveOnly reads the remote pipeline into status and never changes it, not even on delete", async () => {
    const namespace = pool.next();
    const { pipeline } = await k3.pipeline.createPipeline({
      requestId: `observe-${namespace}`,
      pipeline: { displayName: `${namespace}/observed`, template: { name: "document-chunker", version: "1.0.0" }, parameters: { chunkSize: 100 },
        destinations: [{ name: "main", type: pipelinev1.DestinationType.DESTINATION_TYPE_S3, config: { bucket: "b" } }] },
    });
    const mutating = mutatingCalls();
    await apply(manifest(namespace, "observed", { managementPolicy: "ObserveOnly", externalId: pipeline!.id }));
    const obj = await ready(namespace, "observed");
    expect(obj.status?.template?.version).toBe("1.0.0");
    expect(obj.metadata.finalizers ?? []).not.toContain("k3.dodil.io/finalizer");
    await sleep(2_000);
    await kubectlOk(["delete", "k3pipeline", "observed", "-n", namespace, "--timeout=30s"]);
    await sleep(2_000); // a real window after the delete: a late remote delete would land here
    expect(mutatingCalls()).toBe(mutating);
    expect((await remote(pipeline!.id))?.parameters).toEqual({ chunkSize: 100 });
  });

  test("paused: Synced=False/Paused and no calls; unpaused: the pending change is applied", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "paused"));
    const id = (await ready(namespace, "paused")).status!.pipelineId!;
    const paused = { "k3.dodil.io/paused": "true" };
    await apply(manifest(namespace, "paused", { parameters: { chunkSize: 2048 } }, paused));
    await eventually(async () => expect(conditionOf(await get(namespace, "paused"), "Synced")?.reason).toBe("Paused"));
    const updates = calls("UpdatePipeline");
    await sleep(2_000);
    expect(calls("UpdatePipeline")).toBe(updates);
    expect((await remote(id))?.parameters).toEqual({ chunkSize: 512 });
    await kubectlOk(["annotate", "k3pipeline", "paused", "-n", namespace, "k3.dodil.io/paused-"]);
    await eventually(async () => expect((await remote(id))?.parameters).toEqual({ chunkSize: 2048 }));
    await eventually(async () => expect(conditionOf(await get(namespace, "paused"), "Synced")?.reason).toBe("ReconcileSuccess"));
  });

  test("a remote pipeline deleted behind our back is created again", async () => {
    const namespace = pool.next();
    await apply(manifest(namespace, "drift"));
    const first = (await ready(namespace, "drift")).status!.pipelineId!;
    await k3.pipeline.deletePipeline({ id: first });
    const second = await eventually(async () => {
      const id = (await get(namespace, "drift")).status?.pipelineId;
      expect(id).toBeDefined();
      expect(id).not.toBe(first);
      return id!;
    });
    expect(await remote(second)).toBeDefined();
    await ready(namespace, "drift");
  });

  test("invalid parameters: Synced=False/InvalidSpec naming the parameter, and no call storm", async () => {
    const namespace = pool.next();
    const creates = calls("CreatePipeline");
    await apply(manifest(namespace, "invalid", { parameters: { overlap: 3, colour: "blue" } }));
    const obj = await eventually(async () => {
      const o = await get(namespace, "invalid");
      expect(conditionOf(o, "Synced")?.reason).toBe("InvalidSpec");
      return o;
    });
    expect(conditionOf(obj, "Synced")?.message).toMatch(/chunkSize/);
    expect(conditionOf(obj, "Synced")?.message).toMatch(/colour/);
    expect(conditionOf(obj, "Ready")?.status).not.toBe("True");
    await sleep(10_000); // ten resync periods
    // Checked against the template catalog before any write: not one CreatePipeline.
    expect(calls("CreatePipeline") - creates).toBe(0);
    // Fixing the spec is picked up at once.
    await apply(manifest(namespace, "invalid", { parameters: { chunkSize: 64 } }));
    await ready(namespace, "invalid");
  }, 40_000);

  test("an unknown template: InvalidSpec naming it, looked up with GetTemplate, and no CreatePipeline", async () => {
    const namespace = pool.next();
    const before = { get: calls("GetTemplate"), create: calls("CreatePipeline") };
    await apply(manifest(namespace, "notemplate", { template: { name: "no-such-template" } }));
    const obj = await eventually(async () => {
      const o = await get(namespace, "notemplate");
      expect(conditionOf(o, "Synced")?.reason).toBe("InvalidSpec");
      return o;
    });
    expect(conditionOf(obj, "Synced")?.message).toContain('unknown template "no-such-template"');
    expect(calls("GetTemplate") - before.get).toBeGreaterThanOrEqual(1);
    expect(calls("CreatePipeline") - before.create).toBe(0);
  });

  test("the service unavailable for a while: backoff, then Ready, and exactly one remote pipeline", async () => {
    const namespace = pool.next();
    const creates = calls("CreatePipeline");
    service.emulator.faults.failNext("CreatePipeline", 6, 14 /* UNAVAILABLE */);
    await apply(manifest(namespace, "flaky"));
    const obj = await ready(namespace, "flaky");
    expect(calls("CreatePipeline") - creates).toBeGreaterThan(6); // all six failures were met and retried
    expect(await remotesOwnedBy(obj.metadata.uid!)).toHaveLength(1);
  });

  test("a bad token: Synced=False/Unauthorized", async () => {
    const namespace = pool.next();
    await kubectlOk(["create", "secret", "generic", "bad-conn", "-n", namespace, "--type=k3.dodil.io/connection", "--from-literal=token=not-a-jwt"]);
    await apply(manifest(namespace, "unauth", { connectionRef: { name: "bad-conn" } }));
    const obj = await eventually(async () => {
      const o = await get(namespace, "unauth");
      expect(conditionOf(o, "Synced")?.reason).toBe("Unauthorized");
      return o;
    });
    expect(conditionOf(obj, "Synced")?.message).not.toContain("not-a-jwt");
  });

  test.each([
    { reason: "an Opaque Secret with a token key", type: "Opaque", literals: [] as string[], message: /has type "Opaque"; it must have type k3\.dodil\.io\/connection/ },
    { reason: "a plaintext endpoint the operator does not allow", type: "k3.dodil.io/connection", literals: ["--from-literal=insecure=true"], message: /allows only TLS/ },
  ])("a connection Secret that is not allowed ($reason): Synced=False/InvalidSpec, its token never sent", async ({ type, literals, message }) => {
    const namespace = pool.next();
    const tenant = `refused-${namespace}`;
    const token = service.emulator.mintToken({ tenant });
    await kubectlOk(["create", "secret", "generic", "conn", "-n", namespace, `--type=${type}`, `--from-literal=token=${token}`, ...literals]);
    await apply(manifest(namespace, "refused", { connectionRef: { name: "conn" } }));
    const obj = await eventually(async () => {
      const o = await get(namespace, "refused");
      expect(conditionOf(o, "Synced")?.reason).toBe("InvalidSpec");
      return o;
    });
    expect(conditionOf(obj, "Synced")?.message).toMatch(message);
    expect(JSON.stringify(obj.status)).not.toContain(token);
    await sleep(2_000); // two resyncs: still nothing sent with that token
    expect(service.emulator.calls.forTenant(tenant)).toBe(0);
  });

  test("two namespaces with different connection Secrets land in different tenants", async () => {
    const namespace = pool.next();
    const other = pool.next();
    {
      for (const [ns, tenant] of [[namespace, "tenant-a"], [other, "tenant-b"]] as const) {
        const token = service.emulator.mintToken({ tenant });
        await kubectlOk(["create", "secret", "generic", "conn", "-n", ns, "--type=k3.dodil.io/connection", `--from-literal=token=${token}`]);
        await apply(manifest(ns, "same-name", { connectionRef: { name: "conn" } }));
      }
      const a = (await ready(namespace, "same-name")).status!.pipelineId!;
      const b = (await ready(other, "same-name")).status!.pipelineId!;
      const asTenant = (tenant: string) =>
        createK3Client({ endpoint: service.emulator.address, insecure: true, token: () => service.emulator.mintToken({ tenant }) });
      const ta = asTenant("tenant-a");
      const tb = asTenant("tenant-b");
      try {
        expect((await ta.pipeline.getPipeline({ id: a })).pipeline?.displayName).toBe(`${namespace}/same-name`);
        expect((await tb.pipeline.getPipeline({ id: b })).pipeline?.displayName).toBe(`${other}/same-name`);
        await expect(ta.pipeline.getPipeline({ id: b })).rejects.toMatchObject({ kind: "NotFound" });
        expect(await remote(a)).toBeUndefined(); // not in the operator-wide tenant either
      } finally {
        ta.close();
        tb.close();
      }
    }
  });
});
