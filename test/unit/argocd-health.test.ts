// deploy/argocd/health.lua run in a Lua VM against sample objects of every kind, plus the
// generated argocd-cm patch that ships it.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runHealthScript, toLuaLiteral } from "../support/lua.js";

const script = readFileSync("deploy/argocd/health.lua", "utf8");

interface SampleCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
}

interface SampleOptions {
  kind?: string;
  generation?: number;
  /** status.observedGeneration; defaults to `generation` */
  observedGeneration?: number | null;
  conditions?: SampleCondition[];
  /** no status at all */
  noStatus?: boolean;
  extraStatus?: Record<string, unknown>;
}

/** An object as Argo CD would hand it over, with what the operator writes in status. */
function sample(options: SampleOptions): Record<string, unknown> {
  const generation = options.generation ?? 1;
  const obj: Record<string, unknown> = {
    apiVersion: "k3.dodil.io/v1alpha1",
    kind: options.kind ?? "K3Pipeline",
    metadata: { name: "sample", namespace: "team", generation, uid: "0b3c", labels: {}, annotations: {} },
    spec: { template: { name: "document-chunker" }, destinations: [{ name: "main", type: "VectorStore", config: {} }] },
  };
  if (options.noStatus) return obj;
  const observedGeneration = options.observedGeneration === undefined ? generation : options.observedGeneration;
  obj.status = {
    ...(observedGeneration === null ? {} : { observedGeneration }),
    ...(options.conditions
      ? {
          conditions: options.conditions.map((c) => ({
            lastTransitionTime: "2026-01-02T03:04:05Z",
            observedGeneration: generation,
            reason: "",
            message: "",
            ...c,
          })),
        }
      : {}),
    ...options.extraStatus,
  };
  return obj;
}

const ready = (status: SampleCondition["status"], reason: string, message = ""): SampleCondition => ({ type: "Ready", status, reason, message });
const synced = (status: SampleCondition["status"], reason: string, message = ""): SampleCondition => ({ type: "Synced", status, reason, message });
const healthyConditions = [ready("True", "Available"), synced("True", "ReconcileSuccess")];

describe("health.lua for the managed kinds", () => {
  it.each([
    { reason: "no status yet is not healthy", obj: sample({ noStatus: true }), status: "Progressing", message: "Waiting for the operator to report status" },
    { reason: "a status without conditions is not healthy", obj: sample({ extraStatus: { state: "Active" } }), status: "Progressing", message: "Waiting for the operator to report status" },
    { reason: "Ready=True for the current generation", obj: sample({ conditions: healthyConditions }), status: "Healthy", message: "Available" },
    { reason: "Ready=True but the operator has not seen the new spec", obj: sample({ generation: 3, observedGeneration: 2, conditions: healthyConditions }), status: "Progressing", message: "Waiting for the operator to observe generation 3" },
    { reason: "no observedGeneration at all", obj: sample({ generation: 2, observedGeneration: null, conditions: healthyConditions }), status: "Progressing", message: "Waiting for the operator to observe generation 2" },
    { reason: "observedGeneration ahead of a cached generation is current", obj: sample({ generation: 2, observedGeneration: 3, conditions: healthyConditions }), status: "Healthy", message: "Available" },
    {
      reason: "paused by annotation, even with a spec change pending",
      obj: sample({ generation: 5, observedGeneration: 4, conditions: [ready("True", "Available"), synced("False", "Paused", "reconciliation is paused via the pause annotation")] }),
      status: "Suspended",
      message: "Paused: reconciliation is paused via the pause annotation",
    },
    {
      reason: "a spec the service rejects",
      obj: sample({ conditions: [ready("False", "Creating"), synced("False", "InvalidSpec", "unknown parameter chunkSise")] }),
      status: "Degraded",
      message: "InvalidSpec: unknown parameter chunkSise",
    },
    {
      reason: "a token the service refuses",
      obj: sample({ conditions: [ready("False", "Creating"), synced("False", "Unauthorized", "token expired")] }),
      status: "Degraded",
      message: "Unauthorized: token expired",
    },
    {
      reason: "a failing reconcile outweighs a Ready object",
      obj: sample({ conditions: [ready("True", "Available"), synced("False", "ReconcileError", "cannot observe the external object: unavailable")] }),
      status: "Degraded",
      message: "ReconcileError: cannot observe the external object: unavailable",
    },
    { reason: "being created", obj: sample({ conditions: [ready("False", "Creating"), synced("True", "ReconcileSuccess")] }), status: "Progressing", message: "Creating" },
    { reason: "being deleted", obj: sample({ conditions: [ready("False", "Deleting"), synced("True", "ReconcileSuccess")] }), status: "Progressing", message: "Deleting" },
    {
      reason: "waiting for a referenced object",
      obj: sample({ kind: "K3IngestRule", conditions: [ready("False", "DependencyNotReady", "K3Source docs is not Ready"), synced("True", "ReconcileSuccess")] }),
      status: "Progressing",
      message: "DependencyNotReady: K3Source docs is not Ready",
    },
    {
      reason: "waiting for a person to paste the OAuth code",
      obj: sample({
        kind: "K3Source",
        conditions: [ready("False", "AwaitingOAuthCode"), synced("True", "ReconcileSuccess"), { type: "CredentialReady", status: "False", reason: "AwaitingOAuthCode", message: "open status.oauth.authorizationUrl" }],
      }),
      status: "Degraded",
      message: "AwaitingOAuthCode: open status.oauth.authorizationUrl",
    },
    {
      reason: "a credential the service rejects",
      obj: sample({
        kind: "K3Source",
        conditions: [ready("False", "CredentialInvalid"), synced("True", "ReconcileSuccess"), { type: "CredentialReady", status: "False", reason: "CredentialInvalid", message: "access denied" }],
      }),
      status: "Degraded",
      message: "CredentialInvalid: access denied",
    },
    {
      reason: "a rule whose pipeline was deleted remotely",
      obj: sample({
        kind: "K3IngestRule",
        conditions: [...healthyConditions, { type: "PipelineBound", status: "False", reason: "PipelineDeleted", message: "pipeline pl_1 no longer exists" }],
      }),
      status: "Degraded",
      message: "PipelineDeleted: pipeline pl_1 no longer exists",
    },
    {
      reason: "kstatus Stalled=True is Degraded even when Synced says success",
      obj: sample({ conditions: [ready("False", "CredentialInvalid"), synced("True", "ReconcileSuccess"), { type: "Stalled", status: "True", reason: "CredentialInvalid", message: "access denied" }] }),
      status: "Degraded",
      message: "CredentialInvalid: access denied",
    },
    {
      reason: "kstatus Reconciling=True is Progressing even while a transient error is retried",
      obj: sample({ conditions: [ready("False", "Creating"), synced("False", "ReconcileError", "CreatePipeline: UNAVAILABLE"), { type: "Reconciling", status: "True", reason: "ReconcileError", message: "CreatePipeline: UNAVAILABLE" }] }),
      status: "Progressing",
      message: "ReconcileError: CreatePipeline: UNAVAILABLE",
    },
    { reason: "the remote object vanished", obj: sample({ conditions: [ready("False", "NotFound", "observe-only source is gone"), synced("True", "ReconcileSuccess")] }), status: "Degraded", message: "NotFound: observe-only source is gone" },
    { reason: "Ready=False for an unknown reason", obj: sample({ conditions: [ready("False", "Unavailable"), synced("True", "ReconcileSuccess")] }), status: "Degraded", message: "Unavailable" },
    { reason: "Ready unknown", obj: sample({ conditions: [ready("Unknown", "Creating"), synced("True", "ReconcileSuccess")] }), status: "Progressing", message: "Creating" },
    { reason: "no Ready condition yet", obj: sample({ conditions: [synced("True", "ReconcileSuccess")] }), status: "Progressing", message: "Waiting for the operator to report readiness" },
    {
      reason: "messages pass through verbatim, quotes and newlines included",
      obj: sample({ conditions: [ready("False", "Creating"), synced("False", "InvalidSpec", 'parameter "overlap" must be < chunkSize\nsee docs \\ here')] }),
      status: "Degraded",
      message: 'InvalidSpec: parameter "overlap" must be < chunkSize\nsee docs \\ here',
    },
  ])("$reason → $status", ({ obj, status, message }) => {
    expect(runHealthScript(script, obj)).toEqual({ status, message });
  });

  it.each(["K3Source", "K3Pipeline", "K3IngestRule"])("reads %s the same way", (kind) => {
    expect(runHealthScript(script, sample({ kind, conditions: healthyConditions })).status).toBe("Healthy");
    expect(runHealthScript(script, sample({ kind, conditions: [ready("False", "Creating"), synced("False", "Unauthorized")] })).status).toBe("Degraded");
  });
});

describe("health.lua for K3IngestJob", () => {
  const job = (options: { conditions?: SampleCondition[]; phase?: string; noStatus?: boolean }) =>
    sample({ kind: "K3IngestJob", noStatus: options.noStatus, conditions: options.conditions, extraStatus: options.phase ? { phase: options.phase } : {} });

  it.each([
    { reason: "not started", obj: job({ noStatus: true }), status: "Progressing", message: "Waiting for the operator to start the ingest job" },
    { reason: "running", obj: job({ phase: "Running" }), status: "Progressing", message: "Phase Running" },
    {
      reason: "neither condition true yet",
      obj: job({ phase: "Pending", conditions: [{ type: "Complete", status: "False", reason: "Running" }, { type: "Failed", status: "False", reason: "Running" }] }),
      status: "Progressing",
      message: "Phase Pending",
    },
    { reason: "complete", obj: job({ phase: "Succeeded", conditions: [{ type: "Complete", status: "True", reason: "JobsSucceeded", message: "3 of 3 objects ingested" }] }), status: "Healthy", message: "JobsSucceeded: 3 of 3 objects ingested" },
    {
      reason: "failed",
      obj: job({ phase: "Failed", conditions: [{ type: "Complete", status: "False", reason: "JobFailed" }, { type: "Failed", status: "True", reason: "JobFailed", message: "1 of 3 objects failed" }] }),
      status: "Degraded",
      message: "JobFailed: 1 of 3 objects failed",
    },
    {
      reason: "Ready/Synced do not matter for a job",
      obj: job({ phase: "Running", conditions: [synced("False", "ReconcileError", "unavailable")] }),
      status: "Progressing",
      message: "Phase Running",
    },
  ])("$reason → $status", ({ obj, status, message }) => {
    expect(runHealthScript(script, obj)).toEqual({ status, message });
  });
});

describe("health.lua stays within Lua 5.1 (Argo CD runs gopher-lua)", () => {
  const code = script
    .split("\n")
    .map((line) => line.replace(/--.*$/, ""))
    .join("\n")
    .replace(/"(?:[^"\\]|\\.)*"/g, '""');

  it.each([
    { reason: "goto and labels are 5.2+", pattern: /\bgoto\b|::\w+::/ },
    { reason: "integer division is 5.3+", pattern: /\/\// },
    { reason: "bitwise operators are 5.3+", pattern: /[&|]|<<|>>|~(?!=)/ },
    { reason: "5.2+ library functions", pattern: /\b(?:utf8\.|math\.type|table\.move|table\.unpack|string\.pack|load\s*\()/ },
  ])("uses no 5.2+ syntax: $reason", ({ pattern }) => {
    expect(code).not.toMatch(pattern);
  });
});

describe("the Lua bridge of these tests", () => {
  it.each([
    { reason: "arrays are 1-based lists", value: ["a", "b"], expected: '{"a", "b"}' },
    { reason: "null fields are absent (nil)", value: { a: null, b: 1 }, expected: '{["b"] = 1}' },
    { reason: "control characters are decimal escapes", value: "a\tb", expected: '"a\\009b"' },
  ])("$reason", ({ value, expected }) => {
    expect(toLuaLiteral(value)).toBe(expected);
  });

  it("reports Lua errors with the script's chunk name", () => {
    expect(() => runHealthScript("return obj.missing.field", {})).toThrow(/health\.lua.*attempt to index/);
  });
});

describe("deploy/argocd/argocd-cm-health.yaml", () => {
  const patch = parse(readFileSync("deploy/argocd/argocd-cm-health.yaml", "utf8")) as {
    metadata: { name: string };
    data: Record<string, string>;
  };
  const kinds = readdirSync("crds")
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => (parse(readFileSync(`crds/${file}`, "utf8")) as { spec: { group: string; names: { kind: string } } }).spec)
    .map((spec) => `resource.customizations.health.${spec.group}_${spec.names.kind}`);

  it("patches argocd-cm with the script, verbatim, for every kind of crds/", () => {
    expect(patch.metadata.name).toBe("argocd-cm");
    expect(Object.keys(patch.data).sort()).toEqual(kinds.sort());
    for (const key of kinds) expect(patch.data[key]).toBe(script);
  });
});
