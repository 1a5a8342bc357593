// A bearer token kept in a file that something else rotates (a mounted Secret, a projected
// token): read again when the copy in memory is older than a few seconds, not on every call.
// client-go's file token source does the same (it caches for a minute); reading a file per call
// cost about a tenth of the operator's CPU when it created objects as fast as it could.
import { readFile } from "node:fs/promises";

/** Options of {@link cachedFileToken}. */
export interface CachedFileTokenOptions {
  /** how long a token read is used before the file is read again; 10 s unless given */
  maxAgeMs?: number;
  /** clock, for tests */
  now?: () => number;
}

/**
 * A token supplier over `file`: its trimmed content, read at most once per `maxAgeMs` (calls
 * that arrive while a read is under way share it). A failed read is not kept: it throws to
 * its callers, and the next call reads again.
 */
export function cachedFileToken(file: string, options: CachedFileTokenOptions = {}): () => Promise<string> {
  const maxAgeMs = options.maxAgeMs ?? 10_000;
  const now = options.now ?? Date.now;
  let cached: { token: string; readAt: number } | undefined;
  let reading: Promise<string> | undefined;
  return () => {
    if (cached && now() - cached.readAt < maxAgeMs) return Promise.resolve(cached.token);
    reading ??= readFile(file, "utf8")
      .then((text) => {
        cached = { token: text.trim(), readAt: now() };
        return cached.token;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
