import { Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Status } from "./gen/google/rpc/status.js";
import {
  decodeStatusDetails,
  encodeStatusDetails,
  newStatusError,
  STATUS_DETAILS_KEY,
  statusDetailsFromMetadata,
  type StatusDetailsInput,
} from "./status-details.js";

describe("status details", () => {
  it.each<{ reason: string; input: StatusDetailsInput }>([
    {
      reason: "BadRequest violations survive the round trip, reason defaulting to empty",
      input: {
        code: status.INVALID_ARGUMENT,
        message: "bad pipeline",
        fieldViolations: [
          { field: "pipeline.parameters.chunkSize", description: "required parameter is missing", reason: "REQUIRED" },
          { field: "pipeline.destinations", description: "at least one destination" },
        ],
      },
    },
    {
      reason: "ErrorInfo reason, domain and metadata survive the round trip",
      input: {
        code: status.FAILED_PRECONDITION,
        message: "credential in use",
        errorInfo: { reason: "CREDENTIAL_IN_USE", domain: "k3.dodil.io", metadata: { sourceId: "src-1" } },
      },
    },
    {
      reason: "both detail kinds may travel together",
      input: {
        code: status.INVALID_ARGUMENT,
        message: "both",
        fieldViolations: [{ field: "a", description: "b" }],
        errorInfo: { reason: "R", domain: "d" },
      },
    },
    { reason: "no details at all is a plain status", input: { code: status.NOT_FOUND, message: "gone" } },
  ])("round-trips: $reason", ({ input }) => {
    const decoded = decodeStatusDetails(encodeStatusDetails(input));
    expect(decoded).toEqual({
      code: input.code,
      message: input.message,
      fieldViolations: (input.fieldViolations ?? []).map((v) => ({ ...v, reason: v.reason ?? "" })),
      ...(input.errorInfo && { errorInfo: { metadata: {}, ...input.errorInfo } }),
    });
  });

  it("skips detail types it does not know and keeps the rest", () => {
    const known = Status.decode(encodeStatusDetails({ code: 3, message: "m", fieldViolations: [{ field: "f", description: "d" }] }));
    const bytes = Status.encode({
      ...known,
      details: [{ typeUrl: "type.googleapis.com/google.rpc.RetryInfo", value: Buffer.from([8, 1]) }, ...known.details],
    }).finish();
    expect(decodeStatusDetails(bytes)?.fieldViolations).toEqual([{ field: "f", description: "d", reason: "" }]);
  });

  it("yields undefined for bytes that are not a Status", () => {
    expect(decodeStatusDetails(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
  });

  it("reads the trailer from metadata, and nothing from metadata without it", () => {
    const error = newStatusError({ code: status.NOT_FOUND, message: "no such source", errorInfo: { reason: "SOURCE_NOT_FOUND", domain: "k3.dodil.io" } });
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toBe("no such source");
    expect(error.metadata.get(STATUS_DETAILS_KEY)).toHaveLength(1);
    expect(statusDetailsFromMetadata(error.metadata)?.errorInfo?.reason).toBe("SOURCE_NOT_FOUND");
    expect(statusDetailsFromMetadata(new Metadata())).toBeUndefined();
    expect(statusDetailsFromMetadata(undefined)).toBeUndefined();
  });
});
