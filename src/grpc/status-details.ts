// The google.rpc error model on the wire: a google.rpc.Status, serialized into the
// `grpc-status-details-bin` trailer, whose details are BadRequest (field violations, for
// INVALID_ARGUMENT) or ErrorInfo (reason/domain/metadata, otherwise). The client decodes it;
// the emulator and test servers encode it, so both halves live here and stay in step.
import { Metadata, type StatusObject, type status } from "@grpc/grpc-js";
import { Any } from "./gen/google/protobuf/any.js";
import { BadRequest, ErrorInfo } from "./gen/google/rpc/error_details.js";
import { Status } from "./gen/google/rpc/status.js";

/** The trailer key that carries a serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** Type URL of a google.rpc.BadRequest packed in an Any. */
export const BAD_REQUEST_TYPE_URL = "type.googleapis.com/google.rpc.BadRequest";

/** Type URL of a google.rpc.ErrorInfo packed in an Any. */
export const ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";

/** One offending request field, as a BadRequest reports it. */
export interface FieldViolation {
  /** Path to the field, e.g. "pipeline.parameters.chunkSize". */
  field: string;
  /** Why the field is bad, human-readable. */
  description: string;
  /** UPPER_SNAKE_CASE reason, empty when the server gave none. */
  reason?: string;
}

/** Structured cause of an error, as an ErrorInfo reports it. */
export interface ErrorInfoDetail {
  /** UPPER_SNAKE_CASE reason, e.g. "CREDENTIAL_IN_USE". */
  reason: string;
  /** Logical grouping of the reason, e.g. "k3.dodil.io". */
  domain: string;
  /** Extra key/value facts about the error. */
  metadata?: Record<string, string>;
}

/** The typed content of a google.rpc.Status: code, message and the details K3 uses. */
export interface StatusDetails {
  /** gRPC status code number. */
  code: number;
  /** Developer-facing message. */
  message: string;
  /** BadRequest field violations, empty when there were none. */
  fieldViolations: FieldViolation[];
  /** The first ErrorInfo detail, when present. */
  errorInfo?: ErrorInfoDetail;
}

/** Input of encodeStatusDetails and newStatusError: what a server wants to report. */
export interface StatusDetailsInput {
  /** gRPC status code. */
  code: status;
  /** Developer-facing message (also sent as the gRPC status message). */
  message: string;
  /** Field violations, packed as one BadRequest detail when non-empty. */
  fieldViolations?: FieldViolation[];
  /** Packed as an ErrorInfo detail when given. */
  errorInfo?: ErrorInfoDetail;
}

/** Serializes a google.rpc.Status carrying BadRequest and/or ErrorInfo details into trailer bytes. */
export function encodeStatusDetails(input: StatusDetailsInput): Buffer {
  const details: Any[] = [];
  if (input.fieldViolations !== undefined && input.fieldViolations.length > 0) {
    const badRequest = BadRequest.fromPartial({
      fieldViolations: input.fieldViolations.map((v) => ({ field: v.field, description: v.description, reason: v.reason ?? "" })),
    });
    details.push({ typeUrl: BAD_REQUEST_TYPE_URL, value: Buffer.from(BadRequest.encode(badRequest).finish()) });
  }
  if (input.errorInfo !== undefined) {
    const info = ErrorInfo.fromPartial({
      reason: input.errorInfo.reason,
      domain: input.errorInfo.domain,
      metadata: input.errorInfo.metadata ?? {},
    });
    details.push({ typeUrl: ERROR_INFO_TYPE_URL, value: Buffer.from(ErrorInfo.encode(info).finish()) });
  }
  return Buffer.from(Status.encode({ code: input.code, message: input.message, details }).finish());
}

/**
 * Decodes trailer bytes into StatusDetails; unknown detail types are skipped, and undecodable
 * bytes yield undefined so a malformed trailer never hides the gRPC status itself.
 */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails | undefined {
  try {
    const decoded = Status.decode(bytes);
    const result: StatusDetails = { code: decoded.code, message: decoded.message, fieldViolations: [] };
    for (const detail of decoded.details) {
      if (detail.typeUrl.endsWith("/google.rpc.BadRequest")) {
        for (const v of BadRequest.decode(detail.value).fieldViolations) {
          result.fieldViolations.push({ field: v.field, description: v.description, reason: v.reason });
        }
      } else if (detail.typeUrl.endsWith("/google.rpc.ErrorInfo") && result.errorInfo === undefined) {
        const info = ErrorInfo.decode(detail.value);
        result.errorInfo = { reason: info.reason, domain: info.domain, metadata: info.metadata };
      }
    }
    return result;
  } catch {
    return undefined;
  }
}

/** Reads and decodes the status details trailer from error metadata, if it carries one. */
export function statusDetailsFromMetadata(metadata: Metadata | undefined): StatusDetails | undefined {
  const value = metadata?.get(STATUS_DETAILS_KEY)[0];
  return value instanceof Uint8Array ? decodeStatusDetails(value) : undefined;
}

/**
 * Builds the error object a grpc-js server handler passes to its callback so the client
 * receives the code, the message and the details trailer.
 */
export function newStatusError(input: StatusDetailsInput): StatusObject {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(input));
  return { code: input.code, details: input.message, metadata };
}
