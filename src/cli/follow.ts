// Following an object until a condition holds: a get every half second, bounded by --timeout.
// Polling rather than a watch keeps a short-lived command simple; a run takes seconds to hours.
import { sleep } from "../runtime/index.js";

/** The follow ran out of time; the plugin exits 1 naming what it waited for. */
export class FollowTimeout extends Error {}

/** Options of {@link follow}. */
export interface FollowOptions<T, R> {
  /** reads the object anew */
  read: () => Promise<T>;
  /** called with each read; returns a result to stop, undefined to go on */
  until: (obj: T) => R | undefined;
  timeoutMs: number;
  /** what is being waited for, for the timeout message */
  what: string;
  intervalMs?: number;
}

/** Reads until `until` answers something other than undefined, and returns that answer. */
export async function follow<T, R>(options: FollowOptions<T, R>): Promise<R> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const result = options.until(await options.read());
    if (result !== undefined) return result;
    if (Date.now() >= deadline) throw new FollowTimeout(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${options.what}`);
    await sleep(options.intervalMs ?? 500);
  }
}
