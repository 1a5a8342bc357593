// AIP-158 pagination over in-memory lists. Page tokens are opaque to clients but are a
// base64url JSON cursor {v, k, f}: `k` is the sequence number of the last item served (so
// pages stay stable while items are created or deleted in between) and `f` a hash of the
// request's filter, so a token replayed with another filter is rejected.
import { createHash } from "node:crypto";
import { invalidField } from "./errors.js";

/** Page size used when a request asks for 0. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page served; larger requests are capped. */
export const MAX_PAGE_SIZE = 1000;

/** The paging fields of a List request. */
export interface PageRequest {
  /** Requested page size; 0 = default, negative = INVALID_ARGUMENT. */
  pageSize: number;
  /** Token from the previous page, empty for the first. */
  pageToken: string;
}

/** One page of results. */
export interface Page<T> {
  /** The items of this page. */
  items: T[];
  /** Token of the next page; empty on the last page. */
  nextPageToken: string;
}

/** Options of {@link paginate}. */
export interface PaginateOptions<T> {
  /** Every item matching the filter, already in list order. */
  items: readonly T[];
  /** The item's creation sequence number; unique and ordered like `items`. */
  seqOf: (item: T) => number;
  /** Paging fields of the request. */
  request: PageRequest;
  /** Every filter field of the request; tokens are bound to it. */
  filter: unknown;
  /** Order of `items` by sequence number; default ascending (oldest first). */
  order?: "ascending" | "descending";
}

/** JSON with object keys sorted, so equal filters hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A short stable hash of a request's filter fields. */
export function filterHash(filter: unknown): string {
  return createHash("sha256").update(canonicalJson(filter)).digest("base64url").slice(0, 16);
}

/** Applies the AIP-158 defaults: 0 → 50, > 1000 → 1000, negative → INVALID_ARGUMENT. */
export function effectivePageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw invalidField("page_size", `must be >= 0, got ${pageSize}`, "OUT_OF_RANGE");
  }
  if (pageSize === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(pageSize, MAX_PAGE_SIZE);
}

/** Encodes a cursor into an opaque page token. */
export function encodePageToken(cursor: number, hash: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: cursor, f: hash })).toString("base64url");
}

/** Decodes a page token; INVALID_ARGUMENT when it is garbage or bound to another filter. */
export function decodePageToken(token: string, hash: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (record?.v !== 1 || typeof record.k !== "number" || !Number.isInteger(record.k) || typeof record.f !== "string") {
    throw invalidField("page_token", "not a page token issued by this service", "INVALID_PAGE_TOKEN");
  }
  if (record.f !== hash) {
    throw invalidField("page_token", "the page token was issued for a different filter", "PAGE_TOKEN_FILTER_MISMATCH");
  }
  return record.k;
}

/** Serves one page of `items` after the token's cursor. */
export function paginate<T>(options: PaginateOptions<T>): Page<T> {
  const size = effectivePageSize(options.request.pageSize);
  const hash = filterHash(options.filter);
  const descending = options.order === "descending";
  let remaining: readonly T[] = options.items;
  if (options.request.pageToken !== "") {
    const cursor = decodePageToken(options.request.pageToken, hash);
    remaining = options.items.filter((item) => (descending ? options.seqOf(item) < cursor : options.seqOf(item) > cursor));
  }
  const items = remaining.slice(0, size);
  const last = items.at(-1);
  const nextPageToken = remaining.length > size && last !== undefined ? encodePageToken(options.seqOf(last), hash) : "";
  return { items, nextPageToken };
}

/** Whether `labels` contains every pair of `filter` (an empty filter matches everything). */
export function matchesLabels(labels: Readonly<Record<string, string>>, filter: Readonly<Record<string, string>>): boolean {
  return Object.entries(filter).every(([key, value]) => labels[key] === value);
}
