import { describe, expect, it } from "vitest";
import type { K3IngestRule } from "../../api/gen/index.js";
import { ingestv1, K3Error, type K3Client } from "../../grpc/index.js";
import { bindingOf } from "./adapter.js";

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
