import { describe, expect, it } from "vitest";
import { judgeMaterial } from "./services/credential-check.js";
import type { SecretMaterial } from "./store.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");

describe("judgeMaterial", () => {
  it.each<{ reason: string; secret: SecretMaterial; valid: boolean; expiresAt?: Date }>([
    { reason: "a good access key", secret: { kind: "accessKey", accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x".repeat(40) }, valid: true },
    { reason: "a lower-case access key id", secret: { kind: "accessKey", accessKeyId: "AKIAiosfodnn7example", secretAccessKey: "x".repeat(40) }, valid: false },
    { reason: "an access key saying invalid", secret: { kind: "accessKey", accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "INVALID".padEnd(40, "x") }, valid: false },
    { reason: "a 20-character API key", secret: { kind: "apiKey", apiKey: "k".repeat(20) }, valid: true },
    { reason: "a github_pat_ token", secret: { kind: "personalAccessToken", token: "github_pat_x" }, valid: true },
    { reason: "an OAuth token before expiry", secret: { kind: "oauth", accessToken: "a", refreshToken: "r" }, valid: true, expiresAt: new Date(NOW + 1) },
    { reason: "an OAuth token at expiry", secret: { kind: "oauth", accessToken: "a", refreshToken: "r" }, valid: false, expiresAt: new Date(NOW) },
  ])("judges $reason", ({ secret, valid, expiresAt }) => {
    const verdict = judgeMaterial(secret, { now: NOW, expiresAt });
    expect(verdict.valid).toBe(valid);
    expect(verdict.reason === "").toBe(valid);
  });
});
