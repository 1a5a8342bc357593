import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newEventRecorder } from "./event-recorder.js";
import { KubeApiError } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import { FakeKube } from "./testing/fake-kube.js";

const obj: KubeObject = { apiVersion: "test.k3.dodil.io/v1", kind: "Widget", metadata: { namespace: "n", name: "w", uid: "u1", resourceVersion: "3" } };
type EventObj = KubeObject & { count: number; reason: string; involvedObject: Record<string, unknown>; message: string };

describe("newEventRecorder", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-01T00:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const events = (kube: FakeKube): EventObj[] => [...(kube.objects.get("events")?.values() ?? [])] as unknown as EventObj[];

  it("creates a core/v1 Event naming the object", async () => {
    const kube = new FakeKube();
    newEventRecorder({ kube, component: "k3-operator" }).record(obj, { type: "Normal", reason: "Created", message: "created remote object" });
    await vi.waitFor(() => expect(events(kube)).toHaveLength(1));
    expect(events(kube)[0]).toMatchObject({
      metadata: { namespace: "n" },
      involvedObject: { kind: "Widget", name: "w", uid: "u1", apiVersion: "test.k3.dodil.io/v1" },
      type: "Normal",
      reason: "Created",
      count: 1,
      source: { component: "k3-operator" },
    });
  });

  it("folds repeats into a count, patching it at most once per interval", async () => {
    const kube = new FakeKube();
    const rec = newEventRecorder({ kube, component: "c", bumpIntervalMs: 60_000 });
    const ev = { type: "Warning" as const, reason: "CannotCreate", message: "boom" };
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    for (let i = 0; i < 5; i++) rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    expect(kube.writes.map((w) => w.verb)).toEqual(["create"]);
    await vi.advanceTimersByTimeAsync(60_000);
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    expect(kube.writes.map((w) => w.verb)).toEqual(["create", "patch"]);
    expect(events(kube)[0]!.count).toBe(7);
  });

  it.each([
    { reason: "a different message is a new event", second: { type: "Warning" as const, reason: "CannotCreate", message: "other" } },
    { reason: "a different reason is a new event", second: { type: "Warning" as const, reason: "CannotUpdate", message: "boom" } },
  ])("$reason", async ({ second }) => {
    const kube = new FakeKube();
    const rec = newEventRecorder({ kube, component: "c" });
    rec.record(obj, { type: "Warning", reason: "CannotCreate", message: "boom" });
    rec.record(obj, second);
    await vi.advanceTimersByTimeAsync(1);
    expect(events(kube)).toHaveLength(2);
  });

  it("starts a new Event after the window", async () => {
    const kube = new FakeKube();
    const rec = newEventRecorder({ kube, component: "c", windowMs: 1000 });
    const ev = { type: "Normal" as const, reason: "Paused", message: "paused" };
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1001);
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    expect(events(kube)).toHaveLength(2);
  });

  it("never throws and retries creation after a failure", async () => {
    const kube = new FakeKube();
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn(), child: () => logger };
    const rec = newEventRecorder({ kube, component: "c", logger });
    kube.failNext.create = new KubeApiError(403, { message: "forbidden" }, "create");
    const ev = { type: "Normal" as const, reason: "Created", message: "x" };
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    expect(warn).toHaveBeenCalledTimes(1);
    rec.record(obj, ev);
    await vi.advanceTimersByTimeAsync(1);
    expect(events(kube)).toHaveLength(1);
  });
});
