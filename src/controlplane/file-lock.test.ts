import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withFileLock } from "./file-lock.js";

describe("withFileLock", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "lock-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs holders one after the other and reports the wait", async () => {
    const path = join(dir, "build.lock");
    const events: string[] = [];
    const waitedFor: number[] = [];
    let aHolds!: () => void;
    const aInside = new Promise<void>((resolve) => (aHolds = resolve));
    const holder = (name: string) => async (): Promise<void> => {
      events.push(`${name} in`);
      if (name === "a") aHolds();
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.push(`${name} out`);
    };
    // b asks only once a holds the lock: which of two simultaneous askers wins is a race.
    const a = withFileLock(path, holder("a"));
    await aInside;
    const b = withFileLock(path, holder("b"), { pollMs: 10, onWait: (pid) => waitedFor.push(pid) });
    await Promise.all([a, b]);
    expect(events).toEqual(["a in", "a out", "b in", "b out"]);
    expect(waitedFor).toEqual([process.pid]);
  });

  it("takes over a lock left by a process that died", async () => {
    const path = join(dir, "build.lock");
    const dead = spawnSync("true").pid;
    await writeFile(path, String(dead));
    const waited: number[] = [];
    await expect(withFileLock(path, () => Promise.resolve("ran"), { onWait: (pid) => waited.push(pid) })).resolves.toBe("ran");
    expect(waited).toEqual([]);
  });

  it("releases the lock when the holder fails", async () => {
    const path = join(dir, "build.lock");
    await expect(withFileLock(path, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(withFileLock(path, () => Promise.resolve(1))).resolves.toBe(1);
  });
});
