// GitOps tools judge our objects by their status: Flux and kpt with kstatus (sigs.k8s.io/
// cli-utils, built here with Go and run on real objects), Argo CD with deploy/argocd/health.lua.
// Both must tell healthy, in progress and failed apart, and agree with each other.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { ensureKstatus, kstatusOf } from "../support/kstatus.js";
import { runHealthScript } from "../support/lua.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let kstatus: string;
let lua: string;
let namespace: string;

const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-n", namespace, "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });

const pipeline = (name: string, parameters: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Pipeline",
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters, destinations: [{ name: "main", type: "VectorStore", config: { collection: "c" } }] },
});

const source = (name: string, credential: object) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Source",
  metadata: { name },
  spec: { type: "GoogleDrive", googleDrive: { folderId: "f" }, credential },
});

beforeAll(async () => {
  await installCrds();
  [kstatus, lua] = await Promise.all([ensureKstatus(), readFile("deploy/argocd/health.lua", "utf8")]);
  service = await startTestService("gitops");
  const pool = await namespacePool("gitops", 1);
  namespace = pool.next();
  operator = await startTestOperator(service, ["--namespaces", namespace]);
}, 600_000);

afterAll(async () => {
  await operator?.stop();
  await service?.emulator.stop();
});

describe("GitOps health of real objects", () => {
  test.each([
    {
      reason: "a Ready pipeline is Current / Healthy",
      objects: () => [pipeline("good", { chunkSize: 512 })],
      kind: "k3pipeline", name: "good", settled: { type: "Ready", status: "True" },
      kstatus: "Current", argo: "Healthy",
    },
    {
      reason: "a pipeline the service rejected is Failed / Degraded (it was Current before the Stalled condition)",
      objects: () => [pipeline("rejected", { chunkSize: 512, colour: "red" })],
      kind: "k3pipeline", name: "rejected", settled: { type: "Synced", status: "False", reason: "InvalidSpec" },
      kstatus: "Failed", argo: "Degraded",
    },
    {
      reason: "a source waiting for its credential Secret is InProgress / Progressing",
      objects: () => [source("waiting", { type: "OAuth", secretRef: { name: "nope" }, oauth: { redirectUri: "https://k3.dodil.io/cb" } })],
      kind: "k3source", name: "waiting", settled: { type: "Ready", status: "False", reason: "DependencyNotReady" },
      kstatus: "InProgress", argo: "Progressing",
    },
    {
      reason: "a source awaiting an OAuth consent needs a person: Failed / Degraded",
      objects: () => [
        { apiVersion: "v1", kind: "Secret", metadata: { name: "consent" }, type: "Opaque" },
        source("consent", { type: "OAuth", secretRef: { name: "consent" }, oauth: { redirectUri: "https://k3.dodil.io/cb" } }),
      ],
      kind: "k3source", name: "consent", settled: { type: "CredentialReady", status: "False", reason: "AwaitingOAuthCode" },
      kstatus: "Failed", argo: "Degraded",
    },
    {
      reason: "a paused pipeline is InProgress / Suspended: never healthy while nothing is reconciled",
      objects: () => [pipeline("paused", { chunkSize: 512 }, { "k3.dodil.io/paused": "true" })],
      kind: "k3pipeline", name: "paused", settled: { type: "Synced", status: "False", reason: "Paused" },
      kstatus: "InProgress", argo: "Suspended",
    },
  ])("$reason", async (row) => {
    await apply(...row.objects());
    const obj = await eventually(async () => {
      const o = await getObject<Parameters<typeof conditionOf>[0] & { metadata: { generation: number }; status?: { observedGeneration?: number } }>(row.kind, namespace, row.name);
      expect(conditionOf(o, row.settled.type)).toMatchObject(row.settled);
      expect(o.status?.observedGeneration).toBe(o.metadata.generation);
      return o;
    });
    expect((await kstatusOf(kstatus, obj)).status).toBe(row.kstatus);
    expect(runHealthScript(lua, obj).status).toBe(row.argo);
  });
});
