import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue } from "./work-queue.js";

/** A promise with its resolve function exposed, to hold a handler in flight. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("dedupes keys that are waiting", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands a key to two workers at once; a re-add while in flight runs once after done", async () => {
    const q = new WorkQueue();
    q.add("a");
    const first = await q.get();
    q.add("a");
    q.add("a");
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first!);
    await Promise.resolve();
    expect(second).toBe("a");
    expect(q.length).toBe(0);
  });

  it("runs different keys in parallel and the same key serially with N workers", async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    let maxParallel = 0;
    let overlap = false;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const runs: string[] = [];
    const running = q.run(3, async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      maxParallel = Math.max(maxParallel, active.size);
      runs.push(key);
      const g = gate();
      gates.set(key, g);
      await g.promise;
      active.delete(key);
    });
    q.add("a");
    q.add("b");
    q.add("c");
    await vi.waitFor(() => expect(active.size).toBe(3));
    q.add("a");
    gates.get("a")!.open();
    await vi.waitFor(() => expect(runs).toEqual(["a", "b", "c", "a"]));
    for (const g of gates.values()) g.open();
    await vi.waitFor(() => expect(active.size).toBe(0));
    await q.shutDown();
    await running;
    expect(maxParallel).toBe(3);
    expect(overlap).toBe(false);
  });

  it.each([
    { failures: 1, wantMs: 5, reason: "first retry after the base delay" },
    { failures: 4, wantMs: 40, reason: "doubles per failure" },
    { failures: 40, wantMs: 1_000_000, reason: "capped at 1000 s" },
  ])("backs off per key: $reason", async ({ failures, wantMs }) => {
    const q = new WorkQueue();
    for (let i = 0; i < failures - 1; i++) q.addRateLimited("k");
    // drain the earlier retries so only the last one is pending
    await vi.runAllTimersAsync();
    if (q.length > 0) q.done((await q.get())!);
    q.addRateLimited("k");
    expect(q.numRequeues("k")).toBe(failures);
    await vi.advanceTimersByTimeAsync(wantMs - 1);
    expect(q.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.length).toBe(1);
  });

  it("forget resets the backoff", () => {
    const q = new WorkQueue({ backoff: { baseMs: 100, maxMs: 1000 } });
    q.addRateLimited("k");
    q.addRateLimited("k");
    q.forget("k");
    expect(q.numRequeues("k")).toBe(0);
  });

  it("addAfter: the earliest deadline wins", async () => {
    const q = new WorkQueue();
    q.addAfter("k", 1000);
    q.addAfter("k", 100);
    q.addAfter("k", 5000);
    await vi.advanceTimersByTimeAsync(100);
    expect(q.length).toBe(1);
    q.done((await q.get())!);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(q.length).toBe(0);
  });

  it("handing a key out cancels its pending delayed add", async () => {
    const q = new WorkQueue();
    q.addAfter("k", 1000);
    q.add("k");
    q.done((await q.get())!);
    await vi.advanceTimersByTimeAsync(2000);
    expect(q.length).toBe(0);
  });

  it("shutDown drains waiting keys, waits for in-flight ones and then ignores adds", async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    const hold = gate();
    const running = q.run(1, async (key) => {
      seen.push(key);
      if (key === "a") await hold.promise;
    });
    q.add("a");
    q.add("b");
    await vi.waitFor(() => expect(seen).toEqual(["a"]));
    let stopped = false;
    const stopping = q.shutDown().then(() => (stopped = true));
    q.add("c");
    q.addAfter("d", 1);
    await Promise.resolve();
    expect(stopped).toBe(false);
    hold.open();
    await stopping;
    await running;
    expect(seen).toEqual(["a", "b"]);
  });

  it("shutDown without drain drops waiting keys but lets in-flight ones finish", async () => {
    const q = new WorkQueue();
    const seen: string[] = [];
    const hold = gate();
    const running = q.run(1, async (key) => {
      seen.push(key);
      await hold.promise;
    });
    q.add("a");
    q.add("b");
    await vi.waitFor(() => expect(seen).toEqual(["a"]));
    q.add("a");
    const stopping = q.shutDown({ drain: false });
    hold.open();
    await stopping;
    await running;
    expect(seen).toEqual(["a"]);
  });

  it("re-adds a key with backoff when the handler throws", async () => {
    const q = new WorkQueue();
    let calls = 0;
    const running = q.run(1, () => {
      calls++;
      return calls === 1 ? Promise.reject(new Error("boom")) : Promise.resolve();
    });
    q.add("k");
    await vi.waitFor(() => expect(q.numRequeues("k")).toBe(1));
    await vi.advanceTimersByTimeAsync(5);
    await vi.waitFor(() => expect(calls).toBe(2));
    await q.shutDown();
    await running;
  });

  it("reports metrics", async () => {
    const depth: number[] = [];
    const metrics = { added: vi.fn(), retried: vi.fn(), queued: vi.fn(), depth: (n: number) => depth.push(n) };
    const q = new WorkQueue({ metrics });
    q.add("a");
    q.add("a");
    q.addRateLimited("b");
    await vi.advanceTimersByTimeAsync(3);
    await q.get();
    expect(metrics.added).toHaveBeenCalledTimes(1);
    expect(metrics.retried).toHaveBeenCalledTimes(1);
    expect(metrics.queued).toHaveBeenCalledWith(3);
    expect(depth.at(-1)).toBe(0);
  });
});
