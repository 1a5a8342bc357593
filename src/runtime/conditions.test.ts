import { describe, expect, it } from "vitest";
import {
  setKstatus,
  available,
  type Condition,
  conditionEqual,
  conditionsEqual,
  creating,
  getCondition,
  reconcileError,
  reconcilePaused,
  reconcileSuccess,
  Reason,
  setCondition,
} from "./conditions.js";

const t0 = "2026-11-01T10:00:00Z";
const later = (): Date => new Date("2026-11-01T11:22:33.456Z");

const readyTrue: Condition = {
  type: "Ready",
  status: "True",
  reason: "Available",
  message: "",
  lastTransitionTime: t0,
  observedGeneration: 1,
};

describe("setCondition", () => {
  it.each([
    {
      reason: "same status keeps the transition time even when reason and generation change",
      list: [readyTrue],
      cond: { type: "Ready", status: "True" as const, reason: "Other", message: "m" },
      want: { ...readyTrue, reason: "Other", message: "m", observedGeneration: 2 },
    },
    {
      reason: "a status change stamps a new transition time at second precision",
      list: [readyTrue],
      cond: creating(),
      want: { type: "Ready", status: "False", reason: "Creating", message: "", lastTransitionTime: "2026-11-01T11:22:33Z", observedGeneration: 2 },
    },
    {
      reason: "a new condition is appended",
      list: undefined,
      cond: reconcileSuccess(),
      want: { type: "Synced", status: "True", reason: "ReconcileSuccess", message: "", lastTransitionTime: "2026-11-01T11:22:33Z", observedGeneration: 2 },
    },
  ])("$reason", ({ list, cond, want }) => {
    const out = setCondition(list, cond, { generation: 2, now: later });
    expect(getCondition(out, cond.type)).toEqual(want);
  });

  it("keeps the order of other conditions and does not mutate the input", () => {
    const synced = { ...readyTrue, type: "Synced" };
    const input = [readyTrue, synced];
    const out = setCondition(input, creating(), { now: later });
    expect(out.map((c) => c.type)).toEqual(["Ready", "Synced"]);
    expect(input[0]).toEqual(readyTrue);
  });
});

describe("conditionEqual / conditionsEqual", () => {
  it.each([
    { reason: "transition time is ignored", a: readyTrue, b: { ...readyTrue, lastTransitionTime: "x" }, want: true },
    { reason: "message matters", a: readyTrue, b: { ...readyTrue, message: "x" }, want: false },
    { reason: "generation matters", a: readyTrue, b: { ...readyTrue, observedGeneration: 2 }, want: false },
    { reason: "missing vs present", a: readyTrue, b: undefined, want: false },
  ])("$reason", ({ a, b, want }) => {
    expect(conditionEqual(a, b)).toBe(want);
  });

  it("compares lists regardless of order", () => {
    const synced = { ...readyTrue, type: "Synced" };
    expect(conditionsEqual([readyTrue, synced], [synced, { ...readyTrue, lastTransitionTime: "y" }])).toBe(true);
    expect(conditionsEqual([readyTrue], [readyTrue, synced])).toBe(false);
    expect(conditionsEqual(undefined, [])).toBe(true);
  });
});

describe("builders", () => {
  it.each([
    { cond: available(), type: "Ready", status: "True", want: "Available" },
    { cond: creating(), type: "Ready", status: "False", want: "Creating" },
    { cond: reconcileSuccess(), type: "Synced", status: "True", want: "ReconcileSuccess" },
    { cond: reconcileError("boom"), type: "Synced", status: "False", want: "ReconcileError" },
    { cond: reconcilePaused(), type: "Synced", status: "False", want: "Paused" },
  ])("$want", ({ cond, type, status, want }) => {
    expect(cond).toMatchObject({ type, status, reason: want });
  });

  it("spells the product reasons exactly", () => {
    expect(Object.values(Reason)).toEqual(
      expect.arrayContaining([
        "Available", "Creating", "Deleting", "ReconcileSuccess", "ReconcileError",
        "InvalidSpec", "Unauthorized", "DependencyNotReady", "Paused", "NotFound",
      ]),
    );
  });
});

describe("setKstatus", () => {
  const at = (iso: string) => ({ now: () => new Date(iso), generation: 2 });
  it("sets one of the pair, drops the other, keeps the transition time while it holds, and drops both when settled", () => {
    let list = setKstatus(undefined, "Reconciling", { reason: "Creating" }, at("2026-11-01T00:00:00Z"));
    list = setKstatus(list, "Reconciling", { reason: "ReconcileError", message: "x" }, at("2026-11-01T00:05:00Z"));
    expect(list).toEqual([{ type: "Reconciling", status: "True", reason: "ReconcileError", message: "x", lastTransitionTime: "2026-11-01T00:00:00Z", observedGeneration: 2 }]);
    list = setKstatus(list, "Stalled", { reason: "InvalidSpec" }, at("2026-11-01T00:06:00Z"));
    expect(list.map((c) => c.type)).toEqual(["Stalled"]);
    expect(setKstatus(list, undefined, { reason: "" })).toEqual([]);
  });
});
