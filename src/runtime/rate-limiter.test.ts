import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenBucket } from "./rate-limiter.js";

describe("TokenBucket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bucket = (qps: number, burst: number): TokenBucket => new TokenBucket({ qps, burst, now: () => Date.now() });

  it("lets a burst through at once, then spaces callers at qps in call order", async () => {
    const b = bucket(10, 3);
    const done: number[] = [];
    const start = Date.now();
    const all = Array.from({ length: 6 }, (_, i) => b.take().then(() => done.push(i)));
    await Promise.resolve();
    expect(done).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toEqual([0, 1, 2, 3]);
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(all);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Date.now() - start).toBe(300);
  });

  it("refills up to burst only", async () => {
    const b = bucket(10, 2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
  });

  it("an aborted wait gives its reservation back", async () => {
    const b = bucket(1, 1);
    await b.take();
    const ac = new AbortController();
    const waiting = b.take(ac.signal);
    ac.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.tryTake()).toBe(true);
  });

  it.each([
    { qps: 0, burst: 1, reason: "zero qps" },
    { qps: 1, burst: 0, reason: "empty bucket" },
  ])("rejects bad options: $reason", ({ qps, burst }) => {
    expect(() => new TokenBucket({ qps, burst })).toThrow();
  });
});
