import { describe, expect, it } from "vitest";
import { EmulatorError } from "./errors.js";
import { effectivePageSize, encodePageToken, filterHash, matchesLabels, paginate } from "./pagination.js";

const items = Array.from({ length: 7 }, (_, i) => ({ seq: (i + 1) * 10 }));
const seqOf = (item: { seq: number }): number => item.seq;

describe("paginate", () => {
  it("walks ascending pages with cursor tokens until an empty token", () => {
    const first = paginate({ items, seqOf, request: { pageSize: 3, pageToken: "" }, filter: { a: 1 } });
    const second = paginate({ items, seqOf, request: { pageSize: 3, pageToken: first.nextPageToken }, filter: { a: 1 } });
    const third = paginate({ items, seqOf, request: { pageSize: 3, pageToken: second.nextPageToken }, filter: { a: 1 } });
    expect([first, second, third].map((p) => p.items.map(seqOf))).toEqual([[10, 20, 30], [40, 50, 60], [70]]);
    expect(third.nextPageToken).toBe("");
  });

  it("walks descending pages", () => {
    const desc = [...items].reverse();
    const first = paginate({ items: desc, seqOf, request: { pageSize: 4, pageToken: "" }, filter: {}, order: "descending" });
    const second = paginate({ items: desc, seqOf, request: { pageSize: 4, pageToken: first.nextPageToken }, filter: {}, order: "descending" });
    expect(second.items.map(seqOf)).toEqual([30, 20, 10]);
  });

  it("gives no next token when the last page is exactly full", () => {
    expect(paginate({ items, seqOf, request: { pageSize: 7, pageToken: "" }, filter: {} }).nextPageToken).toBe("");
  });

  it.each([
    { reason: "garbage", token: "!!!", expected: "INVALID_PAGE_TOKEN" },
    { reason: "JSON of the wrong shape", token: Buffer.from('{"v":1,"k":"x","f":"y"}').toString("base64url"), expected: "INVALID_PAGE_TOKEN" },
    { reason: "another filter", token: encodePageToken(10, filterHash({ a: 2 })), expected: "PAGE_TOKEN_FILTER_MISMATCH" },
  ])("refuses a token that is $reason", ({ token, expected }) => {
    try {
      paginate({ items, seqOf, request: { pageSize: 3, pageToken: token }, filter: { a: 1 } });
      expect.unreachable();
    } catch (error) {
      expect((error as EmulatorError).violations[0]).toMatchObject({ field: "page_token", reason: expected });
    }
  });
});

describe("page size and filters", () => {
  it.each([
    { reason: "0 means the default", size: 0, expected: 50 },
    { reason: "in range stays", size: 7, expected: 7 },
    { reason: "above the cap is capped", size: 5000, expected: 1000 },
  ])("$reason", ({ size, expected }) => {
    expect(effectivePageSize(size)).toBe(expected);
  });

  it("refuses a negative page size", () => {
    expect(() => effectivePageSize(-1)).toThrow(EmulatorError);
  });

  it("hashes filters independently of key order", () => {
    expect(filterHash({ a: 1, b: { c: 2, d: 3 } })).toBe(filterHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(filterHash({ a: 1 })).not.toBe(filterHash({ a: 2 }));
  });

  it.each<{ reason: string; labels: Record<string, string>; filter: Record<string, string>; expected: boolean }>([
    { reason: "empty filter matches", labels: { a: "1" }, filter: {}, expected: true },
    { reason: "every pair must match", labels: { a: "1", b: "2" }, filter: { a: "1", b: "2" }, expected: true },
    { reason: "one differing value fails", labels: { a: "1", b: "3" }, filter: { a: "1", b: "2" }, expected: false },
    { reason: "a missing key fails", labels: { a: "1" }, filter: { b: "" }, expected: false },
  ])("matchesLabels: $reason", ({ labels, filter, expected }) => {
    expect(matchesLabels(labels, filter)).toBe(expected);
  });
});
