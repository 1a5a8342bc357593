import { describe, expect, it } from "vitest";
import type { K3IngestRule } from "../../api/gen/index.js";
import { ingestv1, K3Error, type K3Client } from "../../grpc/index.js";
import type { Connections } from "../connection.js";
import { bindingOf, newRuleAdapter } from "./adapter.js";

const gone = new K3Error({ code: 5, details: "pipeline pl_1 not found", service: "dodil.k3.pipeline.v1.PipelineService", rpc: "GetPipeline", requestId: "r", attempts: 1 });
const k3 = { pipeline: { getPipeline: () => Promise.reject(gone) } } as unknown as K3Client; // only GetPipeline is used
const rule = ingestv1.IngestRule.fromPartial({ id: "rule_1", pipelineId: "pl_1" });
const cr = (conditions: { type: string; status: "True" | "False"; reason: string; message: string; lastTransitionTime: string }[]): K3IngestRule => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3IngestRule",
  metadata: { name: "r", namespace: "n" },
  spec: { trigger: { type: "Manual" } },
  status: { conditions },
});

describe("bindingOf", () => {
  it("a confirmed deleted pipeline: PipelineBound=False/PipelineDeleted, Ready=False, one Warning when it turns and none after", async () => {
    const first = await bindingOf(k3, cr([]), rule);
    expect(first.conditions[0]).toMatchObject({ type: "PipelineBound", status: "False", reason: "PipelineDeleted" });
    expect(first.ready).toMatchObject({ status: "False", reason: "PipelineDeleted" });
    expect(first.events.map((e) => e.reason)).toEqual(["PipelineDeleted"]);
    const again = await bindingOf(k3, cr([{ type: "PipelineBound", status: "False", reason: "PipelineDeleted", message: "", lastTransitionTime: "2026-11-01T00:00:00Z" }]), rule);
    expect(again.events).toEqual([]);
  });
});

describe("when a rule's jobs are read", () => {
  const ruleId = "rule_1";
  const remote = ingestv1.IngestRule.fromPartial({ id: ruleId, sourceId: "src_1", pipelineId: "pl_1", enabled: true, binding: { pipelineName: "n/p" } });
  let jobReads = 0;
  const k3 = {
    ingest: {
      getRule: () => Promise.resolve({ rule: remote }),
      listIngestJobs: () => {
        jobReads++;
        return Promise.resolve({ jobs: [], totalSize: 0, nextPageToken: "" });
      },
    },
  } as unknown as K3Client; // observe uses only GetRule and ListIngestJobs (the binding is named, so no GetPipeline)
  let clock = new Date("2026-12-01T10:00:30Z");
  const adapter = newRuleAdapter({
    connections: { forObject: () => Promise.resolve(k3) } as unknown as Connections,
    sources: { get: () => undefined },
    pipelines: { get: () => undefined },
    jobs: { byIndex: () => [], get: () => undefined },
    secretCache: { get: () => undefined },
    now: () => clock,
  });
  const scheduled = (enabled: boolean, observedTriggers?: string): K3IngestRule => ({
    apiVersion: "k3.dodil.io/v1alpha1",
    kind: "K3IngestRule",
    metadata: { name: "r", namespace: "n", uid: "u1" },
    spec: { sourceId: "src_1", pipelineId: "pl_1", enabled, trigger: { type: "Schedule", schedule: "* * * * *" } },
    status: { ruleId, jobs: { queued: 0, running: 0, succeeded: 0, failed: 0, observedTriggers } },
  });
  /** One observe; returns the digest it recorded (when it read jobs) and whether it read them. */
  const observe = async (obj: K3IngestRule): Promise<{ read: boolean; digest?: string }> => {
    const before = jobReads;
    const client = await adapter.connector.connect(obj);
    const seen = await client.observe(obj, { neverCreated: false });
    const jobs = (seen.status as { jobs?: { observedTriggers?: string } } | undefined)?.jobs;
    return { read: jobReads > before, digest: jobs?.observedTriggers };
  };

  it("reads once for triggers it has not seen, not again while the digest in status is the same (a restart included)", async () => {
    const first = await observe(scheduled(true));
    expect(first.read).toBe(true);
    expect(first.digest).toMatch(/^[\w-]{22}$/);
    expect((await observe(scheduled(true, first.digest))).read).toBe(false);
  });

  it("a schedule slot passing is a reason to read for an enabled rule, not for a disabled one", async () => {
    clock = new Date("2026-12-01T10:00:30Z");
    const enabled = (await observe(scheduled(true))).digest;
    const disabled = (await observe(scheduled(false))).digest;
    clock = new Date("2026-12-01T10:01:30Z"); // the next minute's slot has passed
    expect((await observe(scheduled(true, enabled))).read).toBe(true);
    expect((await observe(scheduled(false, disabled))).read).toBe(false);
  });
});
