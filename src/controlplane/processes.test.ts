import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { isAlive, runsExecutable, startProcess, stopProcess } from "./processes.js";

describe("stopProcess", () => {
  it.each([
    { reason: "a process that honours SIGTERM stops quickly", command: "sleep", args: ["30"], maxMs: 400 },
    {
      reason: "a process ignoring SIGTERM is killed after the grace period",
      command: "sh",
      args: ["-c", "trap '' TERM; while :; do sleep 0.05; done"], // short sleeps: no orphan outlives the test
      maxMs: 2_000,
    },
  ])("$reason", async ({ command, args, maxMs }) => {
    const child = spawn(command, args, { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the shell install its trap
    const started = Date.now();
    await stopProcess(child.pid!, 500);
    expect(isAlive(child.pid!)).toBe(false);
    expect(Date.now() - started).toBeLessThan(maxMs);
  });
});

describe("stopProcess gives a process its graceful stop", () => {
  // The child records SIGTERM, then needs 300 ms to shut down cleanly. A stop that sends
  // SIGKILL first, or gives no grace, leaves "term" or "done" out of its log and a signal exit.
  const script = `trap 'echo term >> "$0"; sleep 0.3; echo done >> "$0"; exit 0' TERM; echo ready >> "$0"; while :; do sleep 0.05; done`;

  it.each([
    { reason: "the default grace period", grace: undefined },
    { reason: "a 2 s grace period", grace: 2_000 },
  ])("SIGTERM first, then waits for the clean exit: $reason", async ({ grace }) => {
    const dir = await mkdtemp(join(tmpdir(), "proc-test-"));
    try {
      const log = join(dir, "child.log");
      const child = spawn("sh", ["-c", script, log], { stdio: "ignore" });
      const exit = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      await vi.waitFor(async () => expect(await readFile(log, "utf8")).toBe("ready\n"), { timeout: 5_000, interval: 20 });
      await stopProcess(child.pid!, grace);
      expect(isAlive(child.pid!)).toBe(false);
      expect(await exit).toEqual([0, null]);
      expect(await readFile(log, "utf8")).toBe("ready\nterm\ndone\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("startProcess", () => {
  it("sends stdout and stderr to the log file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "proc-test-"));
    try {
      const logFile = join(dir, "out.log");
      const child = startProcess({ command: "sh", args: ["-c", "echo out; echo err >&2"], logFile, detached: false });
      await once(child, "exit");
      expect(await readFile(logFile, "utf8")).toBe("out\nerr\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("runsExecutable", () => {
  it("tells a recorded process from another one that reused its pid", async () => {
    const child = spawn("/bin/sleep", ["30"], { stdio: "ignore" });
    try {
      expect(runsExecutable(child.pid!, "/bin/sleep")).toBe(true);
      expect(runsExecutable(child.pid!, "/somewhere/else/etcd")).toBe(false);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    expect(runsExecutable(child.pid!, "/bin/sleep")).toBe(false);
  });
});
