// Errors the emulator answers with: a gRPC status code, a message, and a google.rpc.Status in
// the `grpc-status-details-bin` trailer carrying BadRequest field violations for
// INVALID_ARGUMENT and an ErrorInfo (domain k3.dodil.io) for every other code.
import { Metadata, status as GrpcStatus, type StatusObject } from "@grpc/grpc-js";
import { Any } from "../grpc/gen/google/protobuf/any.js";
import { BadRequest, ErrorInfo } from "../grpc/gen/google/rpc/error_details.js";
import { Status } from "../grpc/gen/google/rpc/status.js";

/** The ErrorInfo domain of every emulator error. */
export const ERROR_DOMAIN = "k3.dodil.io";
/** Type URL of a packed google.rpc.BadRequest. */
export const BAD_REQUEST_TYPE_URL = "type.googleapis.com/google.rpc.BadRequest";
/** Type URL of a packed google.rpc.ErrorInfo. */
export const ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";
/** Trailer key of the serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** One problem with one request field, as sent in a BadRequest. */
export interface FieldViolation {
  /** Path of the offending field, e.g. "pipeline.parameters.chunkSize". */
  field: string;
  /** Why the field is bad, in words. */
  description: string;
  /** UPPER_SNAKE reason, e.g. "REQUIRED". */
  reason: string;
}

/** An error a handler throws to answer the call with a status code and details. */
export class EmulatorError extends Error {
  /** The gRPC status code. */
  readonly code: GrpcStatus;
  /** Field violations (INVALID_ARGUMENT only). */
  readonly violations: readonly FieldViolation[];
  /** ErrorInfo reason (every code but INVALID_ARGUMENT). */
  readonly reason: string;
  /** ErrorInfo metadata. */
  readonly metadata: Readonly<Record<string, string>>;

  constructor(options: {
    code: GrpcStatus;
    message: string;
    violations?: readonly FieldViolation[];
    reason?: string;
    metadata?: Record<string, string>;
  }) {
    super(options.message);
    this.name = "EmulatorError";
    this.code = options.code;
    this.violations = options.violations ?? [];
    this.reason = options.reason ?? GrpcStatus[options.code];
    this.metadata = options.metadata ?? {};
  }
}

/** INVALID_ARGUMENT naming every violation; the message lists them for humans. */
export function invalidArgument(violations: readonly FieldViolation[]): EmulatorError {
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new EmulatorError({ code: GrpcStatus.INVALID_ARGUMENT, message: `invalid request: ${summary}`, violations });
}

/** INVALID_ARGUMENT for one field. */
export function invalidField(field: string, description: string, reason = "INVALID"): EmulatorError {
  return invalidArgument([{ field, description, reason }]);
}

/** NOT_FOUND for a resource of the given kind (e.g. "source") and id. */
export function notFound(kind: string, id: string): EmulatorError {
  return new EmulatorError({
    code: GrpcStatus.NOT_FOUND,
    message: `${kind} "${id}" not found`,
    reason: `${kind.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_NOT_FOUND`,
    metadata: { id },
  });
}

/** FAILED_PRECONDITION with an ErrorInfo reason. */
export function failedPrecondition(reason: string, message: string, metadata: Record<string, string> = {}): EmulatorError {
  return new EmulatorError({ code: GrpcStatus.FAILED_PRECONDITION, message, reason, metadata });
}

/** ALREADY_EXISTS for a display name taken by another resource of the same kind. */
export function displayNameTaken(kind: string, displayName: string, existingId: string): EmulatorError {
  return new EmulatorError({
    code: GrpcStatus.ALREADY_EXISTS,
    message: `a ${kind} named "${displayName}" already exists (${existingId})`,
    reason: "DISPLAY_NAME_IN_USE",
    metadata: { displayName, existingId },
  });
}

/**
 * Collects field violations so that a handler reports every problem of a request at once;
 * `throwIfAny` throws INVALID_ARGUMENT when at least one was added.
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  /** Records one violation. */
  add(field: string, description: string, reason = "INVALID"): void {
    this.list.push({ field, description, reason });
  }

  /** Whether nothing was recorded. */
  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws INVALID_ARGUMENT with every recorded violation, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
}

/** Builds the google.rpc.Status of an error, with its one detail packed in an Any. */
export function toRpcStatus(error: EmulatorError): Status {
  const detail: Any = error.code === GrpcStatus.INVALID_ARGUMENT
    ? {
        typeUrl: BAD_REQUEST_TYPE_URL,
        value: Buffer.from(BadRequest.encode({ fieldViolations: error.violations.map((v) => ({ ...v })) }).finish()),
      }
    : {
        typeUrl: ERROR_INFO_TYPE_URL,
        value: Buffer.from(ErrorInfo.encode({ reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...error.metadata } }).finish()),
      };
  return { code: error.code, message: error.message, details: [detail] };
}

/** Turns an error into what a grpc-js unary callback answers with: code, message, trailer. */
export function toStatusObject(error: EmulatorError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(toRpcStatus(error)).finish()));
  return { code: error.code, details: error.message, metadata };
}
