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
    const holder = (name: string) => async (): Promise<void> => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.push(`${name} out`);
    };
    await Promise.all([
      withFileLock(path, holder("a")),
      withFileLock(path, holder("b"), { pollMs: 10, onWait: (pid) => waitedFor.push(pid) }),
    ]);
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
