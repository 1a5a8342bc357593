// What every benchmark does around its run: an undo list (the e2e scripts' Cleanups) that runs
// once at the end, on failure, or on Ctrl-C / SIGTERM (then exit 130), and timestamped progress
// lines on stderr.
import { Cleanups } from "../../scripts/e2e/cleanups.js";

/** The benchmark's undo list, already run by SIGINT and SIGTERM. `name` prefixes failure lines. */
export function benchTeardown(name: string): Cleanups {
  const cleanups = new Cleanups(name);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`${signal}: tearing down`);
      void cleanups.runAll().finally(() => process.exit(130));
    });
  }
  return cleanups;
}

/** A progress line on stderr, with the time of day. */
export function log(message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}
