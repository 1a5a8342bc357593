// Object filters of ingest rules: key globs and MIME patterns.

/**
 * Compiles a key glob into an anchored RegExp: `**` crosses directories (and `**\/` also
 * matches no directory at all), `*` and `?` stay within one path segment.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
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
