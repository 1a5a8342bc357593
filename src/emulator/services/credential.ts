// SourceService: the credential RPCs (Store/Get/List/Delete/ValidateCredential). Secret
// material lives only in CredentialRecord.secret; answers are built from the Credential
// metadata message, which has no field that could carry it.
import {
  type Credential,
  CredentialType,
  CredentialValidationState,
  OAuthProvider,
  type SourceServiceService,
  type StoreCredentialRequest,
} from "../../grpc/gen/dodil/k3/source/v1/source.js";
import type { Handlers } from "../context.js";
import { failedPrecondition, notFound, Violations } from "../errors.js";
import { matchesLabels, paginate } from "../pagination.js";
import { type CredentialRecord, newId, type SecretMaterial, type TenantState } from "../store.js";
import { copy, requireId } from "./common.js";
import { judgeMaterial } from "./credential-check.js";

type CredentialHandlers = Pick<Handlers<typeof SourceServiceService>,
  "storeCredential" | "getCredential" | "listCredentials" | "deleteCredential" | "validateCredential">;

/** Finds a credential of the tenant or throws NOT_FOUND. */
export function getCredentialRecord(tenant: TenantState, id: string): CredentialRecord {
  const record = tenant.credentials.get(id);
  if (record === undefined) throw notFound("credential", id);
  return record;
}

/** Reads the secret case of a StoreCredential request, adding violations for bad material. */
function readMaterial(request: StoreCredentialRequest, type: CredentialType, violations: Violations): SecretMaterial | undefined {
  const given = [
    { field: "access_key", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY, set: request.accessKey !== undefined },
    { field: "api_key", type: CredentialType.CREDENTIAL_TYPE_API_KEY, set: request.apiKey !== undefined },
    { field: "personal_access_token", type: CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN, set: request.personalAccessToken !== undefined },
  ];
  for (const g of given) {
    if (g.set && g.type !== type) violations.add(g.field, "does not match credential.type", "SECRET_TYPE_MISMATCH");
  }
  const required = (field: string, value: string): void => {
    if (value === "") violations.add(field, "required", "REQUIRED");
  };
  const expected = given.find((g) => g.type === type);
  if (expected !== undefined && !expected.set) {
    violations.add(expected.field, "required: the secret material of the credential", "REQUIRED");
    return undefined;
  }
  if (type === CredentialType.CREDENTIAL_TYPE_ACCESS_KEY && request.accessKey !== undefined) {
    required("access_key.access_key_id", request.accessKey.accessKeyId);
    required("access_key.secret_access_key", request.accessKey.secretAccessKey);
    return { kind: "accessKey", ...request.accessKey };
  }
  if (type === CredentialType.CREDENTIAL_TYPE_API_KEY && request.apiKey !== undefined) {
    required("api_key.api_key", request.apiKey.apiKey);
    return { kind: "apiKey", apiKey: request.apiKey.apiKey };
  }
  if (type === CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN && request.personalAccessToken !== undefined) {
    required("personal_access_token.token", request.personalAccessToken.token);
    return { kind: "personalAccessToken", token: request.personalAccessToken.token };
  }
  return undefined;
}

function checkType(type: CredentialType, violations: Violations): void {
  if (type === CredentialType.CREDENTIAL_TYPE_UNSPECIFIED) violations.add("credential.type", "required", "REQUIRED");
  else if (type === CredentialType.CREDENTIAL_TYPE_OAUTH) violations.add("credential.type", "OAUTH credentials are made by GetOAuthUrl and ExchangeOAuthCode", "OAUTH_NOT_STORABLE");
  else if (!Object.values(CredentialType).includes(type) || type === CredentialType.UNRECOGNIZED) violations.add("credential.type", "unknown credential type", "UNKNOWN_ENUM_VALUE");
}

/** Handlers of the credential RPCs. */
export const credentialHandlers: CredentialHandlers = {
  storeCredential(ctx, request) {
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    if (replay !== undefined) {
      const existing = ctx.tenant.credentials.get(replay.id);
      return existing === undefined ? copy(replay.response as { credential: Credential }) : { credential: copy(existing.credential) };
    }
    const violations = new Violations();
    const input = request.credential;
    if (input === undefined) {
      violations.add("credential", "required", "REQUIRED");
      violations.throwIfAny();
      return {};
    }
    if (input.displayName === "") violations.add("credential.display_name", "required", "REQUIRED");
    checkType(input.type, violations);
    const secret = readMaterial(request, input.type, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("credential", input.displayName);
    const at = new Date(ctx.now);
    const credential: Credential = {
      id: newId("cred"), displayName: input.displayName, labels: { ...input.labels }, type: input.type,
      oauthProvider: OAuthProvider.O_AUTH_PROVIDER_UNSPECIFIED, scopes: [],
      validationState: CredentialValidationState.CREDENTIAL_VALIDATION_STATE_UNVALIDATED, validationMessage: "",
      createTime: at, updateTime: at,
    };
    ctx.tenant.credentials.set(credential.id, { seq: ctx.tenant.nextSeq(), credential, secret: secret as SecretMaterial });
    ctx.tenant.recordName("credential", credential.displayName, credential.id);
    const response = { credential: copy(credential) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: credential.id, response });
    return response;
  },

  getCredential(ctx, request) {
    requireId("id", request.id);
    return { credential: copy(getCredentialRecord(ctx.tenant, request.id).credential) };
  },

  listCredentials(ctx, request) {
    const matching = [...ctx.tenant.credentials.values()].filter((r) => matchesLabels(r.credential.labels, request.labelFilter));
    const page = paginate({ items: matching, seqOf: (r) => r.seq, request, filter: { labels: request.labelFilter } });
    return { credentials: page.items.map((r) => copy(r.credential)), nextPageToken: page.nextPageToken };
  },

  deleteCredential(ctx, request) {
    requireId("id", request.id);
    getCredentialRecord(ctx.tenant, request.id);
    const users = [...ctx.tenant.sources.values()].filter((r) => r.source.credentialId === request.id).map((r) => r.source.id);
    if (users.length > 0) {
      throw failedPrecondition("CREDENTIAL_IN_USE", `credential "${request.id}" is used by source(s) ${users.join(", ")}`, {
        id: request.id, sourceIds: users.join(","),
      });
    }
    ctx.tenant.credentials.delete(request.id);
    return {};
  },

  validateCredential(ctx, request) {
    requireId("id", request.id);
    const record = getCredentialRecord(ctx.tenant, request.id);
    const verdict = judgeMaterial(record.secret, { now: ctx.now, expiresAt: record.credential.expiresAt });
    record.credential.validationState = verdict.valid
      ? CredentialValidationState.CREDENTIAL_VALIDATION_STATE_VALID
      : CredentialValidationState.CREDENTIAL_VALIDATION_STATE_INVALID;
    record.credential.validationMessage = verdict.reason;
    record.credential.validateTime = new Date(ctx.now);
    return { valid: verdict.valid, reason: verdict.reason, credential: copy(record.credential) };
  },
};
