import { createHmac } from "node:crypto";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { mintToken, verifyToken } from "./auth.js";
import { EmulatorError } from "./errors.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const createSig = (input: string): Buffer => createHmac("sha256", "s").update(input).digest();

async function refusal(run: () => Promise<unknown>): Promise<{ reason: string; message: string }> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as EmulatorError).code).toBe(GrpcStatus.UNAUTHENTICATED);
    return { reason: (error as EmulatorError).reason, message: (error as EmulatorError).message };
  }
  throw new Error("expected UNAUTHENTICATED");
}

describe("verifyToken", () => {
  it("accepts a token it minted and reads the tenant and expiry", async () => {
    const token = mintToken({ secret: "s", tenant: "acme", ttlSeconds: 60, nowMs: NOW });
    expect(await verifyToken(token, "s", NOW)).toEqual({ tenant: "acme", exp: NOW / 1000 + 60 });
  });

  it.each([
    { reason: "wrong secret", token: () => mintToken({ secret: "other", tenant: "a", nowMs: NOW }), now: NOW, expected: "INVALID_TOKEN", message: /signature does not match/ },
    { reason: "expired exactly at exp", token: () => mintToken({ secret: "s", tenant: "a", ttlSeconds: 60, nowMs: NOW }), now: NOW + 60_000, expected: "TOKEN_EXPIRED", message: /expired at 2026-06-01T00:01:00.000Z/ },
    { reason: "tampered payload", token: () => { const [h, , sig] = mintToken({ secret: "s", tenant: "a", nowMs: NOW }).split("."); return `${h}.${b64({ tenant: "b" })}.${sig}`; }, now: NOW, expected: "INVALID_TOKEN", message: /signature/ },
    { reason: "two segments", token: () => "a.b", now: NOW, expected: "INVALID_TOKEN", message: /not a JWT/ },
    { reason: "alg none", token: () => `${b64({ alg: "none" })}.${b64({ tenant: "a" })}.`, now: NOW, expected: "INVALID_TOKEN", message: /only HS256/ },
    { reason: "alg HS512", token: () => `${b64({ alg: "HS512" })}.${b64({ tenant: "a" })}.c2ln`, now: NOW, expected: "INVALID_TOKEN", message: /only HS256/ },
    { reason: "no tenant claim", token: () => { const h = b64({ alg: "HS256", typ: "JWT" }); const p = b64({ sub: "x" }); return `${h}.${p}.${Buffer.from(createSig(`${h}.${p}`)).toString("base64url")}`; }, now: NOW, expected: "INVALID_TOKEN", message: /tenant/ },
  ])("refuses a token with $reason", async ({ token, now, expected, message }) => {
    const refused = await refusal(() => verifyToken(token(), "s", now));
    expect(refused.reason).toBe(expected);
    expect(refused.message).toMatch(message);
  });

  it("honours exp on the injected clock, not the wall clock", async () => {
    const token = mintToken({ secret: "s", tenant: "a", ttlSeconds: 10, nowMs: NOW });
    expect((await verifyToken(token, "s", NOW + 9_000)).tenant).toBe("a");
    expect((await refusal(() => verifyToken(token, "s", NOW + 11_000))).reason).toBe("TOKEN_EXPIRED");
  });
});
