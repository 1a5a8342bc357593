// Every RPC refuses calls without a valid bearer JWT (missing, wrong secret, expired,
// malformed), with UNAUTHENTICATED and an ErrorInfo reason; a valid token is accepted.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestServiceService } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { PipelineServiceService } from "../../../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { SourceServiceService } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { mintToken } from "../../../src/emulator/index.js";
import type { K3TestClient } from "../../../src/emulator/test-client.js";
import { expectGrpcError, GrpcStatus, startTestEnv, type TestEnv } from "./support.js";

type ServiceKey = "source" | "pipeline" | "ingest";
const ALL_RPCS: [ServiceKey, string][] = [
  ...Object.keys(SourceServiceService).map((m): [ServiceKey, string] => ["source", m]),
  ...Object.keys(PipelineServiceService).map((m): [ServiceKey, string] => ["pipeline", m]),
  ...Object.keys(IngestServiceService).map((m): [ServiceKey, string] => ["ingest", m]),
];

/** Calls any RPC by name with an empty request. */
function callRpc(k3: K3TestClient, service: ServiceKey, method: string, token: string | null): Promise<unknown> {
  const client = k3[service] as unknown as Record<string, (req: object, opts: { token: string | null }) => Promise<unknown>>;
  return (client[method] as (req: object, opts: { token: string | null }) => Promise<unknown>)({}, { token });
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("authentication", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({ secret: "test-secret" });
  });
  afterAll(async () => env.close());

  it("covers all 31 RPCs", () => {
    expect(ALL_RPCS).toHaveLength(31);
  });

  const badTokens: { reason: string; token: () => string | null; errorReason: string; message: RegExp }[] = [
    { reason: "no authorization metadata", token: () => null, errorReason: "MISSING_CREDENTIALS", message: /missing `authorization: Bearer <JWT>`/ },
    { reason: "a token signed with another secret", token: () => mintToken({ secret: "other-secret", tenant: "acme" }), errorReason: "INVALID_TOKEN", message: /signature does not match/ },
    { reason: "an expired token", token: () => env.emu.mintToken({ tenant: "acme", ttlSeconds: -10 }), errorReason: "TOKEN_EXPIRED", message: /token expired at/ },
  ];

  describe.each(badTokens)("with $reason", ({ token, errorReason, message }) => {
    it.each(ALL_RPCS)("%s.%s answers UNAUTHENTICATED", async (service, method) => {
      const details = await expectGrpcError(callRpc(env.k3, service, method, token()), GrpcStatus.UNAUTHENTICATED);
      expect(details.errorInfo?.reason).toBe(errorReason);
      expect(details.errorInfo?.domain).toBe("k3.dodil.io");
      expect(details.message).toMatch(message);
    });
  });

  it.each([
    { reason: "not a JWT", token: "abc", message: /not a JWT/ },
    { reason: "alg none is refused", token: `${b64({ alg: "none" })}.${b64({ tenant: "acme" })}.`, message: /only HS256/ },
    {
      reason: "no tenant claim",
      token: (() => {
        const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "x", exp: 4_102_444_800 })}`;
        return `${input}.${createHmac("sha256", "test-secret").update(input).digest("base64url")}`;
      })(),
      message: /missing the `tenant` claim/,
    },
  ])("refuses a token with $reason", async ({ token, message }) => {
    const details = await expectGrpcError(env.k3.pipeline.listTemplates({}, { token }), GrpcStatus.UNAUTHENTICATED);
    expect(details.errorInfo?.reason).toBe("INVALID_TOKEN");
    expect(details.message).toMatch(message);
  });

  it("accepts a valid token, and counts refused calls too", async () => {
    env.emu.resetCounters();
    await expectGrpcError(env.k3.pipeline.listTemplates({}, { token: null }), GrpcStatus.UNAUTHENTICATED);
    const answer = await env.k3.pipeline.listTemplates({});
    expect(answer.templates.length).toBe(3);
    expect(env.emu.calls.get("ListTemplates")).toBe(2);
    expect(env.emu.calls.forTenant("acme", "ListTemplates")).toBe(1);
  });
});
