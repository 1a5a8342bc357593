import { describe, expect, it } from "vitest";
import type { K3IngestJob, K3Source } from "./gen/index.js";
import { conditionTypes, findCondition, isConditionTrue, isConditionTrueForGeneration, isReady, reasons } from "./conditions.js";

const at = "2026-11-30T10:00:00Z";

function source(generation: number, conditions: NonNullable<K3Source["status"]>["conditions"]): K3Source {
  return {
    apiVersion: "k3.dodil.io/v1alpha1",
    kind: "K3Source",
    metadata: { name: "docs", namespace: "ns", generation },
    spec: { type: "S3", s3: { bucket: "acme-docs" } },
    status: { conditions },
  };
}

describe("condition readers", () => {
  const ready = { type: "Ready", status: "True", observedGeneration: 2, lastTransitionTime: at, reason: reasons.available, message: "" } as const;
  const synced = { type: "Synced", status: "False", observedGeneration: 2, lastTransitionTime: at, reason: reasons.reconcileError, message: "boom" } as const;

  it.each([
    { reason: "present True", obj: source(2, [ready, synced]), type: conditionTypes.ready, found: true, isTrue: true, current: true },
    { reason: "present False", obj: source(2, [ready, synced]), type: conditionTypes.synced, found: true, isTrue: false, current: false },
    { reason: "absent type", obj: source(2, [synced]), type: conditionTypes.ready, found: false, isTrue: false, current: false },
    { reason: "no conditions yet", obj: source(1, undefined), type: conditionTypes.ready, found: false, isTrue: false, current: false },
    { reason: "True but for an older generation", obj: source(3, [ready]), type: conditionTypes.ready, found: true, isTrue: true, current: false },
  ])("$reason", ({ obj, type, found, isTrue, current }) => {
    expect(findCondition(obj, type) !== undefined).toBe(found);
    expect(isConditionTrue(obj, type)).toBe(isTrue);
    expect(isConditionTrueForGeneration(obj, type)).toBe(current);
  });

  it("isReady reads the Ready condition of any kind", () => {
    const job: K3IngestJob = {
      apiVersion: "k3.dodil.io/v1alpha1",
      kind: "K3IngestJob",
      metadata: { name: "run" },
      spec: { ruleRef: { name: "r" } },
      status: { conditions: [{ ...ready, type: conditionTypes.complete }] },
    };
    expect(isReady(job)).toBe(false);
    expect(isConditionTrue(job, conditionTypes.complete)).toBe(true);
    expect(isReady(source(2, [ready]))).toBe(true);
  });
});
