// SourceService credential RPCs: store (validation, idempotency), get, list, delete (in use),
// validate (verdict recorded) — and secret material never comes back, checked on the raw
// response bytes of every RPC that returns a credential.
import { Client, credentials as grpcCredentials, Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialType,
  CredentialValidationState,
  GetCredentialRequest,
  ListCredentialsRequest,
  SourceStatus,
  StoreCredentialRequest,
  ValidateCredentialRequest,
} from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { expectGrpcError, GrpcStatus, s3SourceInput, startTestEnv, type TestEnv, violatedFields } from "./support.js";

const GOOD_ACCESS_KEY = { accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

describe("credentials", () => {
  let env: TestEnv;
  let raw: Client;
  beforeAll(async () => {
    env = await startTestEnv();
    raw = new Client(env.emu.address, grpcCredentials.createInsecure());
  });
  afterAll(async () => {
    raw.close();
    await env.close();
  });

  /** Calls an RPC and returns the undecoded response bytes. */
  function rawCall(method: string, request: Uint8Array): Promise<Buffer> {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${env.emu.mintToken({ tenant: "acme" })}`);
    return new Promise((resolve, reject) => {
      raw.makeUnaryRequest(`/dodil.k3.source.v1.SourceService/${method}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(request), metadata, {}, (error, response) => {
        if (error) reject(error);
        else resolve(response as Buffer);
      });
    });
  }

  it("stores a credential of each kind as UNVALIDATED metadata", async () => {
    const cases = [
      { type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY, accessKey: GOOD_ACCESS_KEY },
      { type: CredentialType.CREDENTIAL_TYPE_API_KEY, apiKey: { apiKey: "sk-0123456789abcdefghij" } },
      { type: CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN, personalAccessToken: { token: "ghp_abcdefghijklmnop" } },
    ];
    for (const [i, { type, ...secret }] of cases.entries()) {
      const { credential } = await env.k3.source.storeCredential({ credential: { displayName: `kind-${i}`, type, labels: { k: "v" } }, ...secret });
      expect(credential).toMatchObject({ type, displayName: `kind-${i}`, labels: { k: "v" }, validationState: CredentialValidationState.CREDENTIAL_VALIDATION_STATE_UNVALIDATED });
      expect(credential?.id).toMatch(/^cred_/);
    }
  });

  it("never returns the secret material, in any response's bytes", async () => {
    const secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
    const stored = await rawCall("StoreCredential", StoreCredentialRequest.encode(StoreCredentialRequest.fromPartial({
      credential: { displayName: "secret-check", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY },
      accessKey: { accessKeyId: "AKIASECRETIDXXXXXXXX", secretAccessKey: secretKey },
    })).finish());
    const id = (await env.k3.source.listCredentials({ pageSize: 1000 })).credentials.find((c) => c.displayName === "secret-check")!.id;
    const answers = [
      stored,
      await rawCall("GetCredential", GetCredentialRequest.encode({ id }).finish()),
      await rawCall("ListCredentials", ListCredentialsRequest.encode({ pageSize: 1000, pageToken: "", labelFilter: {} }).finish()),
      await rawCall("ValidateCredential", ValidateCredentialRequest.encode({ id }).finish()),
    ];
    for (const bytes of answers) {
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes(secretKey)).toBe(false);
      expect(bytes.includes("AKIASECRETIDXXXXXXXX")).toBe(false);
    }
    expect(JSON.stringify(await env.k3.source.getCredential({ id }))).not.toContain(secretKey);
  });

  it("returns the first credential for a repeated request_id", async () => {
    const request = { requestId: "cred-req-1", credential: { displayName: "idem-cred", type: CredentialType.CREDENTIAL_TYPE_API_KEY }, apiKey: { apiKey: "k".repeat(24) } };
    const first = await env.k3.source.storeCredential(request);
    const second = await env.k3.source.storeCredential(request);
    expect(second.credential?.id).toBe(first.credential?.id);
  });

  it.each([
    { reason: "no credential", request: {}, fields: ["credential"] },
    { reason: "no type, no name", request: { credential: {} }, fields: ["credential.display_name", "credential.type"] },
    { reason: "OAUTH through StoreCredential", request: { credential: { displayName: "o", type: CredentialType.CREDENTIAL_TYPE_OAUTH } }, fields: ["credential.type"] },
    { reason: "material of another kind", request: { credential: { displayName: "m", type: CredentialType.CREDENTIAL_TYPE_API_KEY }, personalAccessToken: { token: "ghp_x" } }, fields: ["api_key", "personal_access_token"] },
    { reason: "empty access key fields", request: { credential: { displayName: "e", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY }, accessKey: {} }, fields: ["access_key.access_key_id", "access_key.secret_access_key"] },
  ])("StoreCredential refuses $reason", async ({ request, fields }) => {
    const details = await expectGrpcError(env.k3.source.storeCredential(request), GrpcStatus.INVALID_ARGUMENT);
    expect(violatedFields(details)).toEqual([...fields].sort());
  });

  it("StoreCredential refuses a taken display name", async () => {
    const request = { credential: { displayName: "dup-cred", type: CredentialType.CREDENTIAL_TYPE_API_KEY }, apiKey: { apiKey: "k".repeat(24) } };
    await env.k3.source.storeCredential(request);
    const details = await expectGrpcError(env.k3.source.storeCredential(request), GrpcStatus.ALREADY_EXISTS);
    expect(details.errorInfo?.reason).toBe("DISPLAY_NAME_IN_USE");
  });

  it("GetCredential answers NOT_FOUND for an unknown id", async () => {
    const details = await expectGrpcError(env.k3.source.getCredential({ id: "cred_nope" }), GrpcStatus.NOT_FOUND);
    expect(details.errorInfo?.reason).toBe("CREDENTIAL_NOT_FOUND");
  });

  it("ListCredentials pages and filters on labels", async () => {
    const k3 = env.client("cred-list");
    for (let i = 0; i < 12; i++) {
      await k3.source.storeCredential({ credential: { displayName: `c-${i}`, type: CredentialType.CREDENTIAL_TYPE_API_KEY, labels: { parity: i % 2 === 0 ? "even" : "odd" } }, apiKey: { apiKey: "k".repeat(24) } });
    }
    const first = await k3.source.listCredentials({ pageSize: 5 });
    const second = await k3.source.listCredentials({ pageSize: 5, pageToken: first.nextPageToken });
    const third = await k3.source.listCredentials({ pageSize: 5, pageToken: second.nextPageToken });
    expect([...first.credentials, ...second.credentials, ...third.credentials].map((c) => c.displayName)).toEqual(Array.from({ length: 12 }, (_, i) => `c-${i}`));
    expect(third.nextPageToken).toBe("");
    expect((await k3.source.listCredentials({ labelFilter: { parity: "odd" } })).credentials).toHaveLength(6);
    await expectGrpcError(k3.source.listCredentials({ pageToken: first.nextPageToken, labelFilter: { parity: "odd" } }), GrpcStatus.INVALID_ARGUMENT);
  });

  describe("ValidateCredential", () => {
    it.each([
      { reason: "a well-formed access key", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY, secret: { accessKey: GOOD_ACCESS_KEY }, valid: true, why: "" },
      { reason: "a short access key id", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY, secret: { accessKey: { ...GOOD_ACCESS_KEY, accessKeyId: "AKIA123" } }, valid: false, why: "access key id must be AKIA" },
      { reason: "a 39-character secret", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY, secret: { accessKey: { ...GOOD_ACCESS_KEY, secretAccessKey: "x".repeat(39) } }, valid: false, why: "40 characters" },
      { reason: "a long API key", type: CredentialType.CREDENTIAL_TYPE_API_KEY, secret: { apiKey: { apiKey: "a".repeat(20) } }, valid: true, why: "" },
      { reason: "a short API key", type: CredentialType.CREDENTIAL_TYPE_API_KEY, secret: { apiKey: { apiKey: "a".repeat(19) } }, valid: false, why: "at least 20" },
      { reason: "an API key saying invalid", type: CredentialType.CREDENTIAL_TYPE_API_KEY, secret: { apiKey: { apiKey: "this-key-is-invalid-really" } }, valid: false, why: "rejected" },
      { reason: "a classic PAT", type: CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN, secret: { personalAccessToken: { token: "ghp_1234" } }, valid: true, why: "" },
      { reason: "a fine-grained PAT", type: CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN, secret: { personalAccessToken: { token: "github_pat_1234" } }, valid: true, why: "" },
      { reason: "a PAT of the wrong shape", type: CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN, secret: { personalAccessToken: { token: "glpat-1234" } }, valid: false, why: "ghp_ or github_pat_" },
    ])("judges $reason and records the verdict", async ({ reason, type, secret, valid, why }) => {
      const { credential } = await env.k3.source.storeCredential({ credential: { displayName: `v-${reason}`, type }, ...secret });
      const answer = await env.k3.source.validateCredential({ id: credential!.id });
      expect(answer.valid).toBe(valid);
      if (valid) expect(answer.reason).toBe("");
      else expect(answer.reason).toContain(why);
      const expectedState = valid ? CredentialValidationState.CREDENTIAL_VALIDATION_STATE_VALID : CredentialValidationState.CREDENTIAL_VALIDATION_STATE_INVALID;
      expect(answer.credential).toMatchObject({ validationState: expectedState, validationMessage: answer.reason });
      const stored = (await env.k3.source.getCredential({ id: credential!.id })).credential;
      expect(stored?.validationState).toBe(expectedState);
      expect(stored?.validateTime).toBeInstanceOf(Date);
    });

    it("puts a source whose credential is invalid in ERROR", async () => {
      const { credential } = await env.k3.source.storeCredential({ credential: { displayName: "bad-key", type: CredentialType.CREDENTIAL_TYPE_API_KEY }, apiKey: { apiKey: "short" } });
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("uses-bad-key", { credentialId: credential!.id }) });
      expect(source?.status).toBe(SourceStatus.SOURCE_STATUS_ACTIVE);
      await env.k3.source.validateCredential({ id: credential!.id });
      const after = (await env.k3.source.getSource({ id: source!.id })).source;
      expect(after?.status).toBe(SourceStatus.SOURCE_STATUS_ERROR);
      expect(after?.statusMessage).toContain("is invalid");
    });

    it("answers NOT_FOUND for an unknown id", async () => {
      await expectGrpcError(env.k3.source.validateCredential({ id: "cred_nope" }), GrpcStatus.NOT_FOUND);
    });
  });

  describe("DeleteCredential", () => {
    it("refuses while a source uses the credential (FAILED_PRECONDITION, CREDENTIAL_IN_USE), then deletes", async () => {
      const { credential } = await env.k3.source.storeCredential({ credential: { displayName: "in-use", type: CredentialType.CREDENTIAL_TYPE_ACCESS_KEY }, accessKey: GOOD_ACCESS_KEY });
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("user-of-cred", { credentialId: credential!.id }) });
      const details = await expectGrpcError(env.k3.source.deleteCredential({ id: credential!.id }), GrpcStatus.FAILED_PRECONDITION);
      expect(details.errorInfo).toMatchObject({ reason: "CREDENTIAL_IN_USE", domain: "k3.dodil.io", metadata: { sourceIds: source!.id } });
      await env.k3.source.updateSource({ source: { id: source!.id, credentialId: "" }, updateMask: ["credential_id"] });
      expect(await env.k3.source.deleteCredential({ id: credential!.id })).toEqual({});
      await expectGrpcError(env.k3.source.getCredential({ id: credential!.id }), GrpcStatus.NOT_FOUND);
      await expectGrpcError(env.k3.source.deleteCredential({ id: credential!.id }), GrpcStatus.NOT_FOUND);
    });
  });
});
