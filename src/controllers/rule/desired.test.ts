import { describe, expect, it } from "vitest";
import type { K3IngestRule } from "../../api/gen/index.js";
import { ingestv1 } from "../../grpc/index.js";
import { desiredRule, ruleDiff, ruleMessage, updateMask } from "./desired.js";

const ids = { sourceId: "src_1", pipelineId: "pl_1" };
const cr = (spec: Partial<K3IngestRule["spec"]> = {}): K3IngestRule => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3IngestRule",
  metadata: { namespace: "ns", name: "r", uid: "u" },
  spec: { sourceRef: { name: "s" }, pipelineRef: { name: "p" }, trigger: { type: "OnNewObject" }, ...spec },
});
const remote = (spec: Partial<K3IngestRule["spec"]> = {}, at = ids): ingestv1.IngestRule =>
  ingestv1.IngestRule.fromPartial({ ...ruleMessage(desiredRule(cr(spec), at), "rule_1"), binding: { pipelineName: "p", kind: "x", destination: "d" } });

describe("ruleDiff", () => {
  it.each([
    { reason: "same spec: nothing", before: {}, after: {}, at: ids, mask: [] },
    { reason: "the pipeline's remote id changed: follow it", before: {}, after: {}, at: { ...ids, pipelineId: "pl_2" }, mask: ["pipeline_id"] },
    { reason: "disabled: enabled=false is a change", before: {}, after: { enabled: false }, at: ids, mask: ["enabled"] },
    { reason: "a schedule edit changes the trigger", before: { trigger: { type: "Schedule" as const, schedule: "0 * * * *" } }, after: { trigger: { type: "Schedule" as const, schedule: "*/5 * * * *" } }, at: ids, mask: ["trigger"] },
    { reason: "a filter edit", before: {}, after: { filter: { excludePaths: ["**/corrupt-*"] } }, at: ids, mask: ["filter"] },
    { reason: "an explicitly empty filter is no change", before: {}, after: { filter: {} }, at: ids, mask: [] },
    { reason: "the size limit as int64", before: {}, after: { filter: { maxObjectSizeBytes: 1048576 } }, at: ids, mask: ["filter"] },
  ])("$reason", ({ before, after, at, mask }) => {
    expect(ruleDiff(remote(before), desiredRule(cr(after), at))).toEqual(mask);
  });

  it("the binding is display only: an empty one is no difference", () => {
    expect(ruleDiff({ ...remote(), binding: undefined }, desiredRule(cr(), ids))).toEqual([]);
  });

  it("an update always sends enabled, since proto3 drops a false bool", () => {
    expect(updateMask(["filter"])).toEqual(["filter", "enabled"]);
    expect(updateMask(["enabled"])).toEqual(["enabled"]);
  });

  it("a schedule is sent only for Schedule triggers", () => {
    expect(desiredRule(cr({ trigger: { type: "Manual", schedule: "0 * * * *" } }), ids).trigger).toEqual({ type: ingestv1.TriggerType.TRIGGER_TYPE_MANUAL, schedule: "" });
  });
});
