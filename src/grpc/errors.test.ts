import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { codeName, isK3Error, K3Error, kindOfCode, type K3ErrorKind } from "./errors.js";
import { newStatusError } from "./status-details.js";

const base = { service: "dodil.k3.pipeline.v1.PipelineService", rpc: "CreatePipeline", requestId: "rid-1", attempts: 1 };

describe("kindOfCode", () => {
  it.each<{ code: status; kind: K3ErrorKind; reason: string }>([
    { code: status.INVALID_ARGUMENT, kind: "InvalidArgument", reason: "bad spec: wait for a spec change" },
    { code: status.UNAUTHENTICATED, kind: "Unauthenticated", reason: "bad or expired token" },
    { code: status.PERMISSION_DENIED, kind: "PermissionDenied", reason: "token lacks rights" },
    { code: status.NOT_FOUND, kind: "NotFound", reason: "drift: recreate" },
    { code: status.ALREADY_EXISTS, kind: "AlreadyExists", reason: "conflict" },
    { code: status.FAILED_PRECONDITION, kind: "FailedPrecondition", reason: "state does not allow it yet" },
    { code: status.UNAVAILABLE, kind: "Transient", reason: "server down or unreachable" },
    { code: status.DEADLINE_EXCEEDED, kind: "Transient", reason: "too slow this time" },
    { code: status.RESOURCE_EXHAUSTED, kind: "Transient", reason: "throttled" },
    { code: status.ABORTED, kind: "Transient", reason: "concurrency conflict: try again later" },
    { code: status.INTERNAL, kind: "Internal", reason: "server bug" },
    { code: status.UNKNOWN, kind: "Internal", reason: "unknown" },
    { code: status.UNIMPLEMENTED, kind: "Internal", reason: "wrong server version" },
    { code: status.CANCELLED, kind: "Internal", reason: "cancelled locally" },
    { code: status.OUT_OF_RANGE, kind: "Internal", reason: "everything else is Internal" },
  ])("$code → $kind: $reason", ({ code, kind }) => {
    expect(kindOfCode(code)).toBe(kind);
  });
});

describe("K3Error", () => {
  it("decodes violations into fields and into a readable message", () => {
    const trailer = newStatusError({
      code: status.INVALID_ARGUMENT,
      message: "invalid pipeline",
      fieldViolations: [{ field: "pipeline.parameters.chunkSize", description: "required parameter is missing" }],
    });
    const err = new K3Error({ ...base, code: trailer.code, details: trailer.details, metadata: trailer.metadata });
    expect(err.message).toBe("CreatePipeline: invalid argument: pipeline.parameters.chunkSize: required parameter is missing");
    expect(err.kind).toBe("InvalidArgument");
    expect(err.codeName).toBe("INVALID_ARGUMENT");
    expect(err.serverMessage).toBe("invalid pipeline");
    expect(err.fieldViolations).toEqual([{ field: "pipeline.parameters.chunkSize", description: "required parameter is missing", reason: "" }]);
    expect(err.reason).toBeUndefined();
    expect(err.requestId).toBe("rid-1");
  });

  it("joins several violations", () => {
    const trailer = newStatusError({
      code: status.INVALID_ARGUMENT,
      message: "x",
      fieldViolations: [{ field: "a", description: "one" }, { field: "b", description: "two" }],
    });
    const err = new K3Error({ ...base, code: trailer.code, details: trailer.details, metadata: trailer.metadata });
    expect(err.message).toBe("CreatePipeline: invalid argument: a: one; b: two");
  });

  it("carries ErrorInfo and falls back to the server message", () => {
    const trailer = newStatusError({
      code: status.FAILED_PRECONDITION,
      message: "credential cred-1 is used by source src-1",
      errorInfo: { reason: "CREDENTIAL_IN_USE", domain: "k3.dodil.io", metadata: { sourceId: "src-1" } },
    });
    const err = new K3Error({ ...base, rpc: "DeleteCredential", code: trailer.code, details: trailer.details, metadata: trailer.metadata });
    expect(err.message).toBe("DeleteCredential: failed precondition: credential cred-1 is used by source src-1");
    expect(err.kind).toBe("FailedPrecondition");
    expect([err.reason, err.domain, err.metadata]).toEqual(["CREDENTIAL_IN_USE", "k3.dodil.io", { sourceId: "src-1" }]);
    expect(err.fieldViolations).toEqual([]);
  });

  it("has a message without a trailer or a server message", () => {
    const err = new K3Error({ ...base, rpc: "GetSource", code: status.UNAVAILABLE, details: "" });
    expect(err.message).toBe("GetSource: unavailable");
    expect(err.metadata).toEqual({});
  });

  it("names unknown codes UNKNOWN", () => {
    expect(codeName(99 as status)).toBe("UNKNOWN");
    expect(codeName(status.DEADLINE_EXCEEDED)).toBe("DEADLINE_EXCEEDED");
  });

  it.each([
    { err: new K3Error({ ...base, code: status.NOT_FOUND, details: "" }), kind: undefined, expected: true, reason: "any kind" },
    { err: new K3Error({ ...base, code: status.NOT_FOUND, details: "" }), kind: "NotFound" as const, expected: true, reason: "matching kind" },
    { err: new K3Error({ ...base, code: status.NOT_FOUND, details: "" }), kind: "Transient" as const, expected: false, reason: "other kind" },
    { err: new Error("plain"), kind: undefined, expected: false, reason: "not a K3Error" },
    { err: "string", kind: undefined, expected: false, reason: "not an error at all" },
  ])("isK3Error → $expected: $reason", ({ err, kind, expected }) => {
    expect(isK3Error(err, kind)).toBe(expected);
  });
});
