// SourceService: the OAuth flow (GetOAuthUrl, ExchangeOAuthCode, RefreshOAuthToken) against a
// fake provider. Consent is deterministic: the code the provider "returns" for a state is
// `consent-<state>`. States are single-use (consumed by a successful exchange) and expire
// after ten minutes of emulator time; access tokens live one hour of emulator time.
import { randomBytes } from "node:crypto";
import {
  type Credential,
  CredentialType,
  CredentialValidationState,
  OAuthProvider,
  type SourceServiceService,
} from "../../grpc/gen/dodil/k3/source/v1/source.js";
import type { Handlers } from "../context.js";
import { failedPrecondition, Violations } from "../errors.js";
import { newId } from "../store.js";
import { copy, isHttpUrl, requireId } from "./common.js";
import { getCredentialRecord } from "./credential.js";

type OAuthHandlers = Pick<Handlers<typeof SourceServiceService>, "getOAuthUrl" | "exchangeOAuthCode" | "refreshOAuthToken">;

/** Host of the fake provider's authorization URLs (the .invalid TLD never resolves). */
export const OAUTH_HOST = "oauth.k3-emulator.invalid";
/** Lifetime of an access token, in milliseconds of emulator time. */
export const ACCESS_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Lifetime of an unexchanged state, in milliseconds of emulator time. */
export const STATE_TTL_MS = 10 * 60 * 1000;

/** The code the fake provider hands back after consent for `state`. */
export function consentCode(state: string): string {
  return `consent-${state}`;
}

const PROVIDERS: Readonly<Record<number, { path: string; scopes: string[] }>> = {
  [OAuthProvider.O_AUTH_PROVIDER_GOOGLE]: { path: "google", scopes: ["https://www.googleapis.com/auth/drive.readonly"] },
  [OAuthProvider.O_AUTH_PROVIDER_MICROSOFT]: { path: "microsoft", scopes: ["Sites.Read.All", "offline_access"] },
  [OAuthProvider.O_AUTH_PROVIDER_GITHUB]: { path: "github", scopes: ["repo:read"] },
};

const token = (prefix: string): string => `${prefix}${randomBytes(24).toString("base64url")}`;

/** Handlers of the OAuth RPCs. */
export const oauthHandlers: OAuthHandlers = {
  getOAuthUrl(ctx, request) {
    const violations = new Violations();
    const provider = PROVIDERS[request.provider];
    if (provider === undefined) violations.add("provider", "required: GOOGLE, MICROSOFT or GITHUB", "REQUIRED");
    if (!isHttpUrl(request.redirectUri)) violations.add("redirect_uri", "required: an absolute http(s) URL", "INVALID_URL");
    violations.throwIfAny();
    const { path, scopes: defaults } = provider as { path: string; scopes: string[] };
    const scopes = request.scopes.length > 0 ? [...request.scopes] : defaults;
    const state = randomBytes(18).toString("base64url");
    ctx.tenant.oauthStates.set(state, { state, provider: request.provider, redirectUri: request.redirectUri, scopes, createdAt: ctx.now });
    const url = new URL(`https://${OAUTH_HOST}/${path}/authorize`);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", "k3-emulator");
    url.searchParams.set("state", state);
    url.searchParams.set("redirect_uri", request.redirectUri);
    url.searchParams.set("scope", scopes.join(" "));
    return { authorizationUrl: url.toString(), state };
  },

  exchangeOAuthCode(ctx, request) {
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    if (replay !== undefined) {
      const existing = ctx.tenant.credentials.get(replay.id);
      return existing === undefined ? copy(replay.response as { credential: Credential }) : { credential: copy(existing.credential) };
    }
    const violations = new Violations();
    if (request.displayName === "") violations.add("display_name", "required", "REQUIRED");
    const pending = ctx.tenant.oauthStates.get(request.state);
    if (request.state === "") violations.add("state", "required", "REQUIRED");
    else if (pending === undefined) violations.add("state", "unknown or already used state; start again with GetOAuthUrl", "UNKNOWN_STATE");
    else if (ctx.now - pending.createdAt > STATE_TTL_MS) violations.add("state", "state expired; start again with GetOAuthUrl", "STATE_EXPIRED");
    if (request.code === "") violations.add("code", "required", "REQUIRED");
    else if (pending !== undefined && request.code !== consentCode(pending.state)) violations.add("code", "the provider rejected the code", "INVALID_CODE");
    violations.throwIfAny();
    ctx.tenant.assertNameFree("credential", request.displayName);
    const grant = pending as NonNullable<typeof pending>;
    ctx.tenant.oauthStates.delete(grant.state);
    const at = new Date(ctx.now);
    const credential: Credential = {
      id: newId("cred"), displayName: request.displayName, labels: { ...request.labels }, type: CredentialType.CREDENTIAL_TYPE_OAUTH,
      oauthProvider: grant.provider, scopes: [...grant.scopes],
      validationState: CredentialValidationState.CREDENTIAL_VALIDATION_STATE_UNVALIDATED, validationMessage: "",
      expiresAt: new Date(ctx.now + ACCESS_TOKEN_TTL_MS), createTime: at, updateTime: at,
    };
    ctx.tenant.credentials.set(credential.id, {
      seq: ctx.tenant.nextSeq(), credential, secret: { kind: "oauth", accessToken: token("ya29."), refreshToken: token("1//") },
    });
    ctx.tenant.recordName("credential", credential.displayName, credential.id);
    const response = { credential: copy(credential) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: credential.id, response });
    return response;
  },

  refreshOAuthToken(ctx, request) {
    requireId("id", request.id);
    const record = getCredentialRecord(ctx.tenant, request.id);
    if (record.secret.kind !== "oauth") {
      throw failedPrecondition("NOT_OAUTH_CREDENTIAL", `credential "${request.id}" is not an OAuth credential`, { id: request.id });
    }
    record.secret.accessToken = token("ya29.");
    record.credential.expiresAt = new Date(ctx.now + ACCESS_TOKEN_TTL_MS);
    record.credential.updateTime = new Date(ctx.now);
    return { credential: copy(record.credential) };
  },
};
