// Child processes of the control plane: start them with output in a log file, stop them
// (SIGTERM, then SIGKILL), and make sure none outlives an interrupted parent.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here; a file, so a detached child needs no open pipe. */
  logFile: string;
  /** Own process group and no ties to this process: it keeps running after we exit. */
  detached: boolean;
}

/** Starts a long-running process whose output goes to `logFile`. */
export function startProcess(options: StartProcessOptions): ChildProcess {
  const log = openSync(options.logFile, "a");
  try {
    const child = spawn(options.command, options.args, { stdio: ["ignore", log, log], detached: options.detached });
    if (options.detached) child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/**
 * True while `pid` runs. A zombie counts as gone: it has exited, only its parent (maybe not
 * us, for a detached child adopted by a careless init) has not collected it yet.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

/**
 * True if `pid` runs `executable`: guards against killing an unrelated process that reused
 * the pid of one we recorded long ago. Without /proc it trusts the pid.
 */
export function runsExecutable(pid: number, executable: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === executable;
  } catch {
    return true;
  }
}

/** Sends `signal` to `pid`, ignoring a process that has already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Sends SIGTERM, waits up to `graceMs` for the exit, then SIGKILLs; resolves once it is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isAlive(pid)) return;
  signal(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(20);
}

const exitCleanups = new Set<() => void>();
const exitSignals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function runExitCleanups(): void {
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
  exitCleanups.clear();
}

function onExitSignal(name: NodeJS.Signals): void {
  runExitCleanups();
  // If nobody else handles the signal, restore its default effect (terminate) now that the
  // children are gone; otherwise the other handler (vitest's, say) decides what happens.
  if (process.listenerCount(name) === 1) {
    for (const each of exitSignals) process.removeListener(each, onExitSignal);
    process.kill(process.pid, name);
  }
}

/**
 * Runs `cleanup` (synchronously) when this process exits or receives SIGINT/SIGTERM/SIGHUP;
 * returns a function that unregisters it.
 */
export function onParentExit(cleanup: () => void): () => void {
  if (exitCleanups.size === 0) {
    process.on("exit", runExitCleanups);
    for (const name of exitSignals) process.on(name, onExitSignal);
  }
  exitCleanups.add(cleanup);
  return () => {
    exitCleanups.delete(cleanup);
    if (exitCleanups.size === 0) {
      process.removeListener("exit", runExitCleanups);
      for (const name of exitSignals) process.removeListener(name, onExitSignal);
    }
  };
}
