// AIP-134 update masks. A path names a top-level field of the resource in snake_case.
// An absent or empty mask means "every field the request populates" (a field at its proto3
// default — empty string, empty map or list, unset message — is not populated, so it cannot
// be cleared without naming it); "*" means every mutable field, i.e. full replacement.
import { Violations } from "./errors.js";

/** Options of {@link resolveUpdateMask}. */
export interface UpdateMaskOptions {
  /** The request's mask paths; undefined or empty for the implied mask. */
  paths: readonly string[] | undefined;
  /** Mutable field paths of the resource. */
  mutable: readonly string[];
  /** Known fields that cannot be changed, with the reason given to the client. */
  immutable?: Readonly<Record<string, string>>;
  /** Whether the request populates a mutable field (used for the implied mask). */
  populated: (path: string) => boolean;
}

/** Returns the set of fields to change; INVALID_ARGUMENT (field `update_mask`) for bad paths. */
export function resolveUpdateMask(options: UpdateMaskOptions): Set<string> {
  const paths = options.paths ?? [];
  if (paths.length === 0) return new Set(options.mutable.filter((path) => options.populated(path)));
  const violations = new Violations();
  const resolved = new Set<string>();
  for (const path of paths) {
    if (path === "*") {
      options.mutable.forEach((p) => resolved.add(p));
    } else if (options.mutable.includes(path)) {
      resolved.add(path);
    } else if (options.immutable?.[path] !== undefined) {
      violations.add("update_mask", `field "${path}" cannot be updated: ${options.immutable[path]}`, "IMMUTABLE_FIELD");
    } else {
      violations.add("update_mask", `unknown field path "${path}"; updatable fields: ${options.mutable.join(", ")}`, "UNKNOWN_FIELD_PATH");
    }
  }
  violations.throwIfAny();
  return resolved;
}
