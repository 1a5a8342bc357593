import { describe, expect, it } from "vitest";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetrySafe } from "./retry.js";

describe("isRetrySafe", () => {
  it.each([
    { rpc: "GetSource", request: { id: "x" }, safe: true, reason: "reads are idempotent" },
    { rpc: "ListIngestJobs", request: {}, safe: true, reason: "reads are idempotent" },
    { rpc: "GetOAuthUrl", request: {}, safe: true, reason: "a Get, even if it mints a fresh state" },
    { rpc: "UpdatePipeline", request: {}, safe: true, reason: "an update converges to the same state" },
    { rpc: "DeleteRule", request: { id: "r" }, safe: true, reason: "a second delete finds nothing to delete" },
    { rpc: "ValidateCredential", request: { id: "c" }, safe: true, reason: "only records a verdict" },
    { rpc: "CreateSource", request: { requestId: "", source: {} }, safe: false, reason: "a Create without requestId could duplicate" },
    { rpc: "CreateSource", request: { requestId: "uid-1" }, safe: true, reason: "the requestId makes the server replay the first answer" },
    { rpc: "StoreCredential", request: { requestId: "uid-2" }, safe: true, reason: "requestId" },
    { rpc: "ExchangeOAuthCode", request: { requestId: "" }, safe: false, reason: "no requestId" },
    { rpc: "TriggerIngest", request: { requestId: "uid-3" }, safe: true, reason: "requestId" },
    { rpc: "TriggerDiscovery", request: { sourceId: "s" }, safe: false, reason: "a second run would start" },
    { rpc: "RefreshOAuthToken", request: { id: "c" }, safe: false, reason: "neither a read nor keyed" },
    { rpc: "CreateRule", request: null, safe: false, reason: "no request at all" },
    { rpc: "CreateRule", request: { requestId: 42 }, safe: false, reason: "a non-string requestId is no key" },
  ])("$rpc → $safe: $reason", ({ rpc, request, safe }) => {
    expect(isRetrySafe(rpc, request)).toBe(safe);
  });
});

describe("backoffDelayMs", () => {
  const policy = { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1_000, multiplier: 2 };

  it.each([
    { attempt: 1, random: 0.999_999, expected: 99, reason: "the first bound is initialBackoffMs" },
    { attempt: 2, random: 0.999_999, expected: 199, reason: "the bound doubles" },
    { attempt: 4, random: 0.999_999, expected: 799, reason: "and doubles again" },
    { attempt: 5, random: 0.999_999, expected: 999, reason: "capped by maxBackoffMs" },
    { attempt: 30, random: 0.999_999, expected: 999, reason: "stays capped" },
    { attempt: 3, random: 0, expected: 0, reason: "full jitter may not wait at all" },
    { attempt: 3, random: 0.5, expected: 200, reason: "a uniform draw below the bound" },
  ])("attempt $attempt, random $random → $expected ms: $reason", ({ attempt, random, expected }) => {
    expect(backoffDelayMs(policy, attempt, () => random)).toBe(expected);
  });

  it("spreads real draws over [0, bound)", () => {
    const draws = Array.from({ length: 2_000 }, () => backoffDelayMs(DEFAULT_RETRY_POLICY, 3, Math.random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(400);
    expect(Math.max(...draws)).toBeGreaterThan(300);
    expect(Math.min(...draws)).toBeLessThan(100);
  });
});
