import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KubeClient } from "./kube-client.js";
import { KubeApiError } from "./kube-errors.js";
import { type Lease, LeaderElector, microTime } from "./leader-election.js";
import { CoreTypes } from "./resource.js";
import { delegatingKube, FakeKube } from "./testing/fake-kube.js";

describe("microTime", () => {
  it("has exactly six fractional digits", () => {
    expect(microTime(new Date("2026-11-01T10:20:30.123Z"))).toBe("2026-11-01T10:20:30.123000Z");
  });
});

describe("LeaderElector", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-11-01T00:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function candidate(kube: KubeClient, identity: string) {
    const state = { leading: false, started: 0, stopped: 0 };
    const elector = new LeaderElector({
      kube,
      namespace: "ops",
      name: "k3-operator",
      identity,
      onStartedLeading: () => {
        state.leading = true;
        state.started++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
    });
    return { elector, state };
  }
  const lease = (kube: FakeKube) => kube.peek<Lease>(CoreTypes.Lease, "ops/k3-operator")!;

  it("creates the Lease and leads, with MicroTime timestamps", async () => {
    const kube = new FakeKube();
    const a = candidate(kube, "a");
    a.elector.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(a.state).toEqual({ leading: true, started: 1, stopped: 0 });
    expect(lease(kube).spec).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: "2026-11-01T00:00:00.000000Z" });
    await vi.advanceTimersByTimeAsync(1999);
    expect(lease(kube).spec?.renewTime).toBe("2026-11-01T00:00:02.000000Z");
    await a.elector.stop();
  });

  it("one of two leads; on release the other takes over at once", async () => {
    const kube = new FakeKube();
    const a = candidate(kube, "a");
    const b = candidate(kube, "b");
    a.elector.start();
    await vi.advanceTimersByTimeAsync(1);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect([a.state.leading, b.state.leading]).toEqual([true, false]);
    await a.elector.stop();
    expect(a.state).toMatchObject({ leading: false, stopped: 1 });
    expect(lease(kube).spec?.holderIdentity).toBe("");
    await vi.advanceTimersByTimeAsync(3000);
    expect(b.state.leading).toBe(true);
    expect(lease(kube).spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 0 });
    await b.elector.stop();
  });

  it("a leader that cannot renew steps down after the renew deadline; the other takes over after the lease expires", async () => {
    const kube = new FakeKube();
    let broken = false;
    const flaky = delegatingKube(kube, {
      get: (rt, ref) => (broken ? Promise.reject(new KubeApiError(503, { message: "unavailable" }, "get")) : kube.get(rt, ref)),
    });
    const a = candidate(flaky, "a");
    const b = candidate(kube, "b");
    a.elector.start();
    await vi.advanceTimersByTimeAsync(1);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(4000);
    broken = true;
    await vi.advanceTimersByTimeAsync(9000);
    expect(a.state.leading).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(a.state).toMatchObject({ leading: false, stopped: 1 });
    expect(b.state.leading).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(b.state.leading).toBe(true);
    expect(lease(kube).spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    await a.elector.stop();
    await b.elector.stop();
  });

  it("a leader whose renew hangs steps down at the renew deadline, counted from the last renewal's start, before the other can acquire", async () => {
    const kube = new FakeKube();
    let hang = false;
    const aborted: boolean[] = [];
    // A hanging apiserver: the call neither answers nor fails until the caller aborts it.
    const hanging = <T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> =>
      hang
        ? new Promise<T>((_, reject) => signal?.addEventListener("abort", () => (aborted.push(true), reject(new Error("aborted"))), { once: true }))
        : call();
    const stuck = delegatingKube(kube, {
      get: (rt, ref, options) => hanging(options?.signal, () => kube.get(rt, ref)),
      update: (rt, obj, options) => hanging(options?.signal, () => kube.update(rt, obj)),
    });
    const a = candidate(stuck, "a");
    const b = candidate(kube, "b");
    let stoppedAt = -1;
    let bStartedAt = -1;
    a.elector.start();
    await vi.advanceTimersByTimeAsync(1);
    b.elector.start();
    await vi.advanceTimersByTimeAsync(6001); // a renews at 2 s, 4 s and 6 s
    const lastRenewal = Date.now() - 1;
    hang = true;
    for (let t = 0; t < 30_000 && bStartedAt < 0; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      if (stoppedAt < 0 && !a.state.leading) stoppedAt = Date.now();
      if (b.state.leading) bStartedAt = Date.now();
    }
    expect(stoppedAt - lastRenewal).toBeLessThanOrEqual(10_000 + 50);
    expect(stoppedAt - lastRenewal).toBeGreaterThan(8_000);
    expect(bStartedAt).toBeGreaterThan(stoppedAt);
    expect(aborted.length).toBeGreaterThan(0);
    expect(a.state.stopped).toBe(1);
    hang = false;
    await a.elector.stop();
    await b.elector.stop();
  });

  it("never lets two candidates hold it: a stale write loses on resourceVersion", async () => {
    const kube = new FakeKube();
    const candidates = ["a", "b", "c"].map((id) => candidate(kube, id));
    for (const c of candidates) c.elector.start();
    for (let t = 0; t < 20; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      expect(candidates.filter((c) => c.state.leading).length).toBe(1);
    }
    for (const c of candidates) await c.elector.stop();
  });
});
