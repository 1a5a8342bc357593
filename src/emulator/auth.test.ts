import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { mintToken, verifyToken } from "./auth.js";
import { EmulatorError } from "./errors.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as EmulatorError).code).toBe(GrpcStatus.UNAUTHENTICATED);
    return (error as EmulatorError).reason;
  }
  throw new Error("expected UNAUTHENTICATED");
}

describe("verifyToken", () => {
  it("accepts a token it minted and reads the tenant and expiry", () => {
    const token = mintToken({ secret: "s", tenant: "acme", ttlSeconds: 60, nowMs: NOW });
    expect(verifyToken(token, "s", NOW)).toEqual({ tenant: "acme", exp: NOW / 1000 + 60 });
  });

  it.each([
    { reason: "wrong secret", token: () => mintToken({ secret: "other", tenant: "a", nowMs: NOW }), now: NOW, expected: "INVALID_TOKEN" },
    { reason: "expired exactly at exp", token: () => mintToken({ secret: "s", tenant: "a", ttlSeconds: 60, nowMs: NOW }), now: NOW + 60_000, expected: "TOKEN_EXPIRED" },
    { reason: "tampered payload", token: () => { const [h, , sig] = mintToken({ secret: "s", tenant: "a", nowMs: NOW }).split("."); return `${h}.${Buffer.from('{"tenant":"b"}').toString("base64url")}.${sig}`; }, now: NOW, expected: "INVALID_TOKEN" },
    { reason: "two segments", token: () => "a.b", now: NOW, expected: "INVALID_TOKEN" },
  ])("refuses a token with $reason", ({ token, now, expected }) => {
    expect(reasonOf(() => verifyToken(token(), "s", now))).toBe(expected);
  });

  it("honours exp on the injected clock, not the wall clock", () => {
    const token = mintToken({ secret: "s", tenant: "a", ttlSeconds: 10, nowMs: NOW });
    expect(verifyToken(token, "s", NOW + 9_000).tenant).toBe("a");
    expect(reasonOf(() => verifyToken(token, "s", NOW + 11_000))).toBe("TOKEN_EXPIRED");
  });
});
