// Ingest rule filters: checking them on write and matching objects against them.
import type { ObjectFilter } from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Violations } from "./errors.js";
import { globMatches, isMimePattern, mimeMatches } from "./glob.js";
import type { SourceObject } from "./objects.js";

/** Adds violations under `<prefix>.` for empty globs, bad MIME patterns or a bad size. */
export function checkObjectFilter(filter: ObjectFilter | undefined, prefix: string, violations: Violations): void {
  if (filter === undefined) return;
  filter.includePaths.forEach((glob, i) => {
    if (glob === "") violations.add(`${prefix}.include_paths[${i}]`, "must not be empty", "EMPTY_GLOB");
  });
  filter.excludePaths.forEach((glob, i) => {
    if (glob === "") violations.add(`${prefix}.exclude_paths[${i}]`, "must not be empty", "EMPTY_GLOB");
  });
  filter.mimeTypes.forEach((mime, i) => {
    if (!isMimePattern(mime)) violations.add(`${prefix}.mime_types[${i}]`, `"${mime}" is not a MIME type or type/* pattern`, "INVALID_MIME_TYPE");
  });
  if (!/^\d+$/.test(filter.maxObjectSizeBytes)) {
    violations.add(`${prefix}.max_object_size_bytes`, "must be >= 0", "OUT_OF_RANGE");
  }
}

/** Whether an object passes a rule's filter (an unset or empty filter passes everything). */
export function filterMatches(filter: ObjectFilter | undefined, object: SourceObject): boolean {
  if (filter === undefined) return true;
  if (filter.includePaths.length > 0 && !filter.includePaths.some((g) => globMatches(g, object.key))) return false;
  if (filter.excludePaths.some((g) => globMatches(g, object.key))) return false;
  if (filter.mimeTypes.length > 0 && !filter.mimeTypes.some((m) => mimeMatches(m, object.mimeType))) return false;
  const max = Number(filter.maxObjectSizeBytes);
  return !(max > 0 && object.size > max);
}
