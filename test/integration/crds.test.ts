// The CRDs on a real apiserver: they install, every example applies, defaults are filled in,
// bad input is rejected with a human message, `kubectl explain` teaches the API and
// `kubectl get k3` shows every kind with its columns.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect } from "vitest";
import { group, plurals } from "../../src/api/keys.js";
import { kubectl, kubectlOk, kubeTest as test } from "../support/kube.js";
import { pipeline, rejections, rule, source, type Manifest } from "./crd-rejections.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const crdDir = path.join(root, "crds");
const examplesDir = path.join(root, "examples");
const crdNames = Object.values(plurals).map((plural) => `${plural}.${group}`);
const exampleFiles = readdirSync(examplesDir).filter((f) => f.endsWith(".yaml")).sort();

/** Polls `attempt` until it returns a value, or fails with the last reason after `timeoutMs`. */
async function eventually<T>(attempt: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function apply(namespace: string, manifest: Manifest): ReturnType<typeof kubectl> {
  return kubectl(["apply", "-n", namespace, "-f", "-"], { input: JSON.stringify(manifest) });
}

async function getJson<T>(namespace: string, resource: string): Promise<T> {
  return JSON.parse(await kubectlOk(["get", "-n", namespace, resource, "-o", "json"])) as T;
}

/** Collapses runs of spaces so table output compares independently of column widths. */
function squash(text: string): string[] {
  return text.split("\n").map((line) => line.trim().replace(/\s+/g, " ")).filter(Boolean);
}

beforeAll(async () => {
  await kubectlOk(["apply", "--server-side", "-f", crdDir]);
  await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", ...crdNames.map((n) => `crd/${n}`)]);
});

describe("CRDs on a real apiserver", () => {
  test("all four install with accepted names and become Established", async () => {
    const list = JSON.parse(await kubectlOk(["get", "crd", ...crdNames, "-o", "json"])) as {
      items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[];
    };
    const states = list.items.map((crd) => ({
      name: crd.metadata.name,
      established: crd.status.conditions.find((c) => c.type === "Established")?.status,
      namesAccepted: crd.status.conditions.find((c) => c.type === "NamesAccepted")?.status,
    }));
    expect(states).toEqual(crdNames.map((name) => ({ name, established: "True", namesAccepted: "True" })));
  });

  test.concurrent.for(exampleFiles)("example %s applies with strict field validation", async (file, { namespace, expect }) => {
    const result = await kubectl(["apply", "-n", namespace, "--validate=strict", "-f", path.join(examplesDir, file)]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/k3\.dodil\.io\/\S+ created/);
  });

  test("the complete set applies as one folder, in order", async ({ namespace }) => {
    const result = await kubectl(["apply", "-n", namespace, "--validate=strict", "-f", path.join(examplesDir, "complete")]);
    expect(result.stderr).toBe("");
    expect(squash(result.stdout)).toEqual([
      "secret/docs-bucket-credentials created",
      "k3source.k3.dodil.io/docs-bucket created",
      "k3pipeline.k3.dodil.io/docs-to-markdown created",
      "k3ingestrule.k3.dodil.io/docs-pdfs created",
      "k3ingestjob.k3.dodil.io/docs-backfill created",
    ]);
  });

  test("defaults are filled in on create", async ({ namespace }) => {
    for (const manifest of [source(), pipeline(), rule()]) expect((await apply(namespace, manifest)).exitCode).toBe(0);
    const got = await Promise.all(
      ["k3source/subject", "k3pipeline/subject", "k3ingestrule/subject"].map((r) => getJson<{ spec: Record<string, unknown> }>(namespace, r)),
    );
    expect(got[0]!.spec).toMatchObject({
      deletionPolicy: "Delete",
      managementPolicy: "Full",
      credential: { validate: true },
      sync: { discoverOnCreate: true },
    });
    expect(got[1]!.spec).toMatchObject({ deletionPolicy: "Delete", managementPolicy: "Full" });
    expect(got[2]!.spec).toMatchObject({ deletionPolicy: "Delete", managementPolicy: "Full", enabled: true, jobHistoryLimit: 10 });
  });

  test.concurrent.for(rejections)("rejects $reason", async ({ manifest, before, message }, { namespace, expect }) => {
    if (before) {
      const created = await apply(namespace, before);
      expect(created.stderr).toBe("");
    }
    const result = await apply(namespace, manifest);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(message);
    const resource = `${manifest.kind.toLowerCase()}/${manifest.metadata.name}`;
    if (before) {
      // The update was refused as a whole: the stored spec is still the one created.
      const stored = await getJson<{ spec: Record<string, unknown> }>(namespace, resource);
      expect(stored.spec).toMatchObject(JSON.parse(JSON.stringify(before.spec)) as Record<string, unknown>);
    } else {
      const missing = await kubectl(["get", "-n", namespace, resource]);
      expect(missing.stderr).toContain("NotFound");
    }
  });

  test("kubectl explain teaches the credential block from the schema's descriptions", async () => {
    // The apiserver publishes a new CRD's OpenAPI a moment after it is Established.
    const text = await eventually(async () => {
      const result = await kubectl(["explain", "k3source.spec.credential"]);
      return result.exitCode === 0 ? result.stdout : undefined;
    }, "kubectl explain k3source.spec.credential");
    expect(text).toContain("KIND:       K3Source");
    for (const field of ["type", "secretRef", "validate", "oauth"]) expect(text).toMatch(new RegExp(`^  ${field}\\b`, "m"));
    // kubectl wraps descriptions; compare them as flowing text.
    expect(squash(text).join(" ")).toContain("The credential the K3 service uses to read the source");
    expect(squash(text).join(" ")).toContain("Whether the operator asks the service to validate the credential");
    const type = squash(await kubectlOk(["explain", "k3src.spec.type"]));
    expect(type.join(" ")).toContain("Immutable: create a new K3Source to change it.");
    expect(type).toEqual(expect.arrayContaining(["ENUM:", "S3", "GoogleDrive", "InternalS3"]));
  });

  test("kubectl get k3 lists all four kinds with their printer columns", async ({ namespace }) => {
    await kubectlOk(["apply", "-n", namespace, "-f", path.join(examplesDir, "complete")]);
    const at = "2026-11-30T10:00:00Z";
    const condition = (type: string, status: string, reason: string) => ({ type, status, reason, message: "", lastTransitionTime: at, observedGeneration: 1 });
    const statuses: [string, object][] = [
      ["k3source/docs-bucket", {
        sourceId: "src-1",
        state: "Active",
        conditions: [condition("Ready", "True", "Available"), condition("Synced", "True", "ReconcileSuccess")],
        sync: { discovery: { state: "Succeeded", objectsDiscovered: 12 }, ingestion: { state: "Running", objectsIngested: 7, objectsFailed: 1 } },
      }],
      ["k3pipeline/docs-to-markdown", {
        pipelineId: "pl-1",
        template: { id: "tpl-1", name: "pdf-to-markdown", version: "1.0.0" },
        conditions: [condition("Ready", "True", "Available"), condition("Synced", "True", "ReconcileSuccess")],
      }],
      ["k3ingestrule/docs-pdfs", {
        ruleId: "rule-1",
        conditions: [condition("Ready", "False", "DependencyNotReady"), condition("Synced", "True", "ReconcileSuccess")],
        jobs: { queued: 0, running: 2, succeeded: 5, failed: 1, lastJob: { id: "job-9", objectKey: "a.pdf", state: "Running" } },
      }],
      ["k3ingestjob/docs-backfill", {
        phase: "Running",
        counts: { total: 4, queued: 1, running: 1, succeeded: 2, failed: 0 },
      }],
    ];
    for (const [resource, status] of statuses) {
      await kubectlOk(["patch", "-n", namespace, resource, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    }
    // kubectl lists the kinds of a category in discovery order (by plural); AGE varies.
    const lines = squash(await kubectlOk(["get", "k3", "-n", namespace])).map((line) =>
      line.startsWith("NAME ") ? line : line.replace(/ \S+$/, " <age>"),
    );
    expect(lines).toEqual([
      "NAME RULE PHASE SUCCEEDED FAILED AGE",
      "k3ingestjob.k3.dodil.io/docs-backfill docs-pdfs Running 2 0 <age>",
      "NAME SOURCE PIPELINE READY SYNCED RUNNING SUCCEEDED FAILED LAST-JOB AGE",
      "k3ingestrule.k3.dodil.io/docs-pdfs docs-bucket docs-to-markdown False True 2 5 1 Running <age>",
      "NAME TEMPLATE VERSION READY SYNCED AGE",
      "k3pipeline.k3.dodil.io/docs-to-markdown pdf-to-markdown 1.0.0 True True <age>",
      "NAME TYPE STATE READY SYNCED DISCOVERED INGESTED AGE",
      "k3source.k3.dodil.io/docs-bucket S3 Active True True 12 7 <age>",
    ]);
    const wide = squash(await kubectlOk(["get", "k3src", "-n", namespace, "-o", "wide"]));
    expect(wide[0]).toBe("NAME TYPE STATE READY SYNCED DISCOVERED INGESTED SOURCE-ID AGE");
    expect(wide[1]).toMatch(/^docs-bucket S3 Active True True 12 7 src-1 \S+$/);
  });

  test.for([
    { reason: "source state outside the enum", resource: "k3source/docs-bucket", status: { state: "Broken" }, message: 'status.state: Unsupported value: "Broken"' },
    { reason: "condition without reason", resource: "k3pipeline/docs-to-markdown", status: { conditions: [{ type: "Ready", status: "True", message: "", lastTransitionTime: "2026-11-30T10:00:00Z" }] }, message: "status.conditions[0].reason: Required value" },
    { reason: "condition status that is not True/False/Unknown", resource: "k3pipeline/docs-to-markdown", status: { conditions: [{ type: "Ready", status: "Yes", reason: "Available", message: "", lastTransitionTime: "2026-11-30T10:00:00Z" }] }, message: 'status.conditions[0].status: Unsupported value: "Yes"' },
    { reason: "job phase outside the enum", resource: "k3ingestjob/docs-backfill", status: { phase: "Done" }, message: 'status.phase: Unsupported value: "Done"' },
    { reason: "negative counter", resource: "k3ingestrule/docs-pdfs", status: { jobs: { failed: -1 } }, message: "status.jobs.failed: Invalid value: -1: jobs.failed in body should be greater than or equal to 0" },
  ])("status writes are validated too: $reason", async ({ resource, status, message }, { namespace }) => {
    await kubectlOk(["apply", "-n", namespace, "-f", path.join(examplesDir, "complete")]);
    const result = await kubectl(["patch", "-n", namespace, resource, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
