// A lock file so that two processes (two `npm test` runs, a test run and `control-plane up`)
// do not both spend minutes building the same binaries.
import { open, readFile, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./processes.js";

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Called once when the lock is held by another live process. */
  onWait?: (holderPid: number) => void;
  pollMs?: number;
}

/**
 * Runs `fn` while holding the lock file `path` (created exclusively, containing our pid).
 * A lock left by a dead process is taken over. Two processes taking over the same stale lock
 * at once could both run `fn`; callers therefore publish their results atomically (rename),
 * and the lock only saves work, it does not guard correctness.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  let waiting = false;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`cannot create lock ${path}`, { cause: error });
    }
    const holder = await lockHolder(path);
    if (holder === "gone") continue;
    if (holder === "stale") {
      await rm(path, { force: true });
      continue;
    }
    if (!waiting) options.onWait?.(holder);
    waiting = true;
    await sleep(options.pollMs ?? 1000);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

/** The live process holding the lock (0 if not written yet), "stale" if dead, "gone" if released. */
async function lockHolder(path: string): Promise<number | "stale" | "gone"> {
  try {
    const pid = Number.parseInt(await readFile(path, "utf8"), 10);
    if (Number.isInteger(pid) && pid > 0) return isAlive(pid) ? pid : "stale";
    // Created but the pid is not written yet: a fresh lock is someone's, an old empty one is junk.
    const { mtimeMs } = await stat(path);
    return Date.now() - mtimeMs < 10_000 ? 0 : "stale";
  } catch {
    return "gone";
  }
}
