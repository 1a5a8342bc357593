// Every failed K3 call is classified here, once, into a small typed set that the controllers
// branch on (DESIGN §2: invalid spec, auth, not found, conflict, transient). Nothing outside
// src/grpc needs to know gRPC status codes.
import { Metadata, status } from "@grpc/grpc-js";
import { statusDetailsFromMetadata, type FieldViolation } from "./status-details.js";

/** The kinds a K3 failure is classified into. */
export type K3ErrorKind =
  | "InvalidArgument"
  | "Unauthenticated"
  | "PermissionDenied"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Transient"
  | "Internal";

/** gRPC codes worth retrying for a retry-safe call; all of them classify as Transient. */
export const RETRYABLE_CODES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

const KIND_BY_CODE: ReadonlyMap<status, K3ErrorKind> = new Map<status, K3ErrorKind>([
  [status.INVALID_ARGUMENT, "InvalidArgument"],
  [status.UNAUTHENTICATED, "Unauthenticated"],
  [status.PERMISSION_DENIED, "PermissionDenied"],
  [status.NOT_FOUND, "NotFound"],
  [status.ALREADY_EXISTS, "AlreadyExists"],
  [status.FAILED_PRECONDITION, "FailedPrecondition"],
  [status.UNAVAILABLE, "Transient"],
  [status.DEADLINE_EXCEEDED, "Transient"],
  [status.RESOURCE_EXHAUSTED, "Transient"],
  [status.ABORTED, "Transient"],
]);

/** Maps a gRPC status code to its K3ErrorKind; codes without a kind of their own are Internal. */
export function kindOfCode(code: status): K3ErrorKind {
  return KIND_BY_CODE.get(code) ?? "Internal";
}

/** Returns the gRPC status name of a code ("UNAVAILABLE"), or "UNKNOWN" for an unknown number. */
export function codeName(code: status): string {
  const name = (status as Record<number, string | undefined>)[code];
  return typeof name === "string" ? name : "UNKNOWN";
}

/** What the client knows about a failed call when it classifies the failure. */
export interface K3ErrorInit {
  /** gRPC status code of the last attempt. */
  code: status;
  /** Status message from the server (or grpc-js for local failures). */
  details: string;
  /** Trailers of the failed call; the status details trailer is decoded from them. */
  metadata?: Metadata;
  /** Fully-qualified service name, e.g. "dodil.k3.source.v1.SourceService". */
  service: string;
  /** RPC name, e.g. "CreateSource". */
  rpc: string;
  /** The x-request-id sent with every attempt of the call. */
  requestId: string;
  /** How many attempts were made. */
  attempts: number;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/** A classified K3 call failure; the only error type the K3 client rejects with. */
export class K3Error extends Error {
  override readonly name = "K3Error";
  /** The classified kind; controllers branch on this, never on code. */
  readonly kind: K3ErrorKind;
  /** The gRPC status code of the last attempt. */
  readonly code: status;
  /** The gRPC status name of code, e.g. "INVALID_ARGUMENT". */
  readonly codeName: string;
  /** Fully-qualified service name. */
  readonly service: string;
  /** RPC name, e.g. "CreatePipeline". */
  readonly rpc: string;
  /** The x-request-id of the call, for correlating logs with the server's. */
  readonly requestId: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;
  /** The server's status message, without the decoration of message. */
  readonly serverMessage: string;
  /** Field violations from a BadRequest detail; empty when there were none. */
  readonly fieldViolations: FieldViolation[];
  /** ErrorInfo reason, when the server sent one. */
  readonly reason: string | undefined;
  /** ErrorInfo domain, when the server sent one. */
  readonly domain: string | undefined;
  /** ErrorInfo metadata; empty when there was none. */
  readonly metadata: Record<string, string>;

  constructor(init: K3ErrorInit) {
    const details = statusDetailsFromMetadata(init.metadata);
    const violations = details?.fieldViolations ?? [];
    super(formatMessage(init.rpc, init.code, init.details, violations), { cause: init.cause });
    this.kind = kindOfCode(init.code);
    this.code = init.code;
    this.codeName = codeName(init.code);
    this.service = init.service;
    this.rpc = init.rpc;
    this.requestId = init.requestId;
    this.attempts = init.attempts;
    this.serverMessage = init.details;
    this.fieldViolations = violations;
    this.reason = details?.errorInfo?.reason;
    this.domain = details?.errorInfo?.domain;
    this.metadata = details?.errorInfo?.metadata ?? {};
  }
}

// "CreatePipeline: invalid argument: pipeline.parameters.chunkSize: required parameter is missing":
// the violations say more than the server's summary, so they replace it when present.
function formatMessage(rpc: string, code: status, details: string, violations: FieldViolation[]): string {
  const what = codeName(code).toLowerCase().replaceAll("_", " ");
  const why = violations.length > 0 ? violations.map((v) => `${v.field}: ${v.description}`).join("; ") : details;
  return why === "" ? `${rpc}: ${what}` : `${rpc}: ${what}: ${why}`;
}

/** True when err is a K3Error, and of the given kind when one is given. */
export function isK3Error(err: unknown, kind?: K3ErrorKind): err is K3Error {
  return err instanceof K3Error && (kind === undefined || err.kind === kind);
}
