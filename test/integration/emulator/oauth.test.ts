// SourceService OAuth flow: GetOAuthUrl → consent (the documented code `consent-<state>`) →
// ExchangeOAuthCode → RefreshOAuthToken, on an injected clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialType, OAuthProvider } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { consentCode, OAUTH_HOST } from "../../../src/emulator/index.js";
import { expectGrpcError, GrpcStatus, startTestEnv, type TestEnv, violatedFields } from "./support.js";

const HOUR = 3_600_000;

describe("OAuth", () => {
  let env: TestEnv;
  let now = Date.parse("2026-06-01T12:00:00Z");
  beforeAll(async () => {
    env = await startTestEnv({ now: () => now });
  });
  afterAll(async () => env.close());

  async function consent(provider = OAuthProvider.O_AUTH_PROVIDER_GOOGLE) {
    return env.k3.source.getOAuthUrl({ provider, redirectUri: "https://app.example.com/callback", scopes: [] });
  }

  it("GetOAuthUrl returns the fake provider's URL carrying a fresh state, redirect and scopes", async () => {
    const a = await consent(OAuthProvider.O_AUTH_PROVIDER_MICROSOFT);
    const b = await consent(OAuthProvider.O_AUTH_PROVIDER_MICROSOFT);
    expect(a.state).not.toBe(b.state);
    const url = new URL(a.authorizationUrl);
    expect(url.host).toBe(OAUTH_HOST);
    expect(url.pathname).toBe("/microsoft/authorize");
    expect(url.searchParams.get("state")).toBe(a.state);
    expect(url.searchParams.get("redirect_uri")).toBe("https://app.example.com/callback");
    expect(url.searchParams.get("scope")).toBe("Sites.Read.All offline_access");
    const custom = await env.k3.source.getOAuthUrl({ provider: OAuthProvider.O_AUTH_PROVIDER_GITHUB, redirectUri: "http://localhost:8080/cb", scopes: ["repo"] });
    expect(new URL(custom.authorizationUrl).searchParams.get("scope")).toBe("repo");
  });

  it("GetOAuthUrl refuses a missing provider and a relative redirect URI", async () => {
    const details = await expectGrpcError(env.k3.source.getOAuthUrl({ redirectUri: "/callback" }), GrpcStatus.INVALID_ARGUMENT);
    expect(violatedFields(details)).toEqual(["provider", "redirect_uri"]);
  });

  it("ExchangeOAuthCode makes an OAuth credential expiring in one hour of emulator time", async () => {
    const { state } = await consent();
    const { credential } = await env.k3.source.exchangeOAuthCode({ code: consentCode(state), state, displayName: "drive", labels: { via: "oauth" } });
    expect(credential).toMatchObject({
      type: CredentialType.CREDENTIAL_TYPE_OAUTH, oauthProvider: OAuthProvider.O_AUTH_PROVIDER_GOOGLE,
      scopes: ["https://www.googleapis.com/auth/drive.readonly"], displayName: "drive", labels: { via: "oauth" },
    });
    expect(credential?.expiresAt?.getTime()).toBe(now + HOUR);
    expect(consentCode(state)).toBe(`consent-${state}`);
  });

  it("ExchangeOAuthCode refuses a wrong code, an unknown state and a used state", async () => {
    const { state } = await consent();
    const wrongCode = await expectGrpcError(env.k3.source.exchangeOAuthCode({ code: "consent-other", state, displayName: "x" }), GrpcStatus.INVALID_ARGUMENT);
    expect(wrongCode.fieldViolations).toEqual([{ field: "code", description: "the provider rejected the code", reason: "INVALID_CODE" }]);
    const unknown = await expectGrpcError(env.k3.source.exchangeOAuthCode({ code: "consent-nope", state: "nope", displayName: "x" }), GrpcStatus.INVALID_ARGUMENT);
    expect(violatedFields(unknown)).toEqual(["state"]);
    await env.k3.source.exchangeOAuthCode({ code: consentCode(state), state, displayName: "single-use" });
    const reused = await expectGrpcError(env.k3.source.exchangeOAuthCode({ code: consentCode(state), state, displayName: "single-use-2" }), GrpcStatus.INVALID_ARGUMENT);
    expect(reused.fieldViolations[0]).toMatchObject({ field: "state", reason: "UNKNOWN_STATE" });
  });

  it("ExchangeOAuthCode with a repeated request_id returns the first credential", async () => {
    const { state } = await consent();
    const request = { requestId: "oauth-req-1", code: consentCode(state), state, displayName: "idem-oauth" };
    const first = await env.k3.source.exchangeOAuthCode(request);
    const second = await env.k3.source.exchangeOAuthCode(request);
    expect(second.credential?.id).toBe(first.credential?.id);
  });

  it("RefreshOAuthToken moves expires_at to one hour after now, and an expired token validates as invalid", async () => {
    const { state } = await consent();
    const { credential } = await env.k3.source.exchangeOAuthCode({ code: consentCode(state), state, displayName: "refresh-me" });
    now += 2 * HOUR;
    const expired = await env.k3.source.validateCredential({ id: credential!.id });
    expect(expired.valid).toBe(false);
    expect(expired.reason).toContain("expired");
    const { credential: refreshed } = await env.k3.source.refreshOAuthToken({ id: credential!.id });
    expect(refreshed?.expiresAt?.getTime()).toBe(now + HOUR);
    expect((await env.k3.source.validateCredential({ id: credential!.id })).valid).toBe(true);
  });

  it("RefreshOAuthToken refuses a non-OAuth credential (FAILED_PRECONDITION) and an unknown one (NOT_FOUND)", async () => {
    const { credential } = await env.k3.source.storeCredential({ credential: { displayName: "plain-key", type: CredentialType.CREDENTIAL_TYPE_API_KEY }, apiKey: { apiKey: "k".repeat(30) } });
    const details = await expectGrpcError(env.k3.source.refreshOAuthToken({ id: credential!.id }), GrpcStatus.FAILED_PRECONDITION);
    expect(details.errorInfo?.reason).toBe("NOT_OAUTH_CREDENTIAL");
    await expectGrpcError(env.k3.source.refreshOAuthToken({ id: "cred_nope" }), GrpcStatus.NOT_FOUND);
  });

  it("a state expires after ten minutes", async () => {
    const { state } = await consent();
    now += 11 * 60_000;
    const details = await expectGrpcError(env.k3.source.exchangeOAuthCode({ code: consentCode(state), state, displayName: "late" }), GrpcStatus.INVALID_ARGUMENT);
    expect(details.fieldViolations[0]).toMatchObject({ field: "state", reason: "STATE_EXPIRED" });
  });
});
