// Object filters of ingest rules: key globs (picomatch) and MIME patterns.
import picomatch from "picomatch";

const matchers = new Map<string, (key: string) => boolean>();
const MAX_CACHED_GLOBS = 1_000;

/**
 * Whether an object key matches a glob, by picomatch: `**` crosses directories (and `**\/`
 * also matches no directory at all), `*` and `?` stay within one path segment, and braces,
 * classes and extglobs work as in a shell. Dot files match like any other (`dot: true`).
 */
export function globMatches(glob: string, key: string): boolean {
  let matcher = matchers.get(glob);
  if (matcher === undefined) {
    // Globs come from requests: compiled ones are cached, within a bound.
    if (matchers.size >= MAX_CACHED_GLOBS) matchers.clear();
    matcher = picomatch(glob, { dot: true });
    matchers.set(glob, matcher);
  }
  return matcher(key);
}

/** Whether `mimeType` matches a pattern: exact, `type/*` or `*\/*`. */
export function mimeMatches(pattern: string, mimeType: string): boolean {
  if (pattern === "*/*" || pattern === "*") return true;
  if (pattern.endsWith("/*")) return mimeType.startsWith(pattern.slice(0, -1));
  return pattern === mimeType;
}

/** Whether a string is a plausible MIME pattern (`type/subtype`, `type/*`). */
export function isMimePattern(pattern: string): boolean {
  return /^(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/i.test(pattern);
}
