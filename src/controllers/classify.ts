import type { ErrorClass } from "../runtime/index.js";
import { isK3Error } from "../grpc/index.js";

/** An error the controllers raise themselves (bad connection Secret, unresolved template), with its class. */
export class ControllerError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ControllerError";
  }
}

/**
 * FAILED_PRECONDITION reasons that name something other than the spec: a missing or unusable
 * dependency that can change without any edit of this object (a source or pipeline created
 * later, a rule enabled again, a credential released by another source).
 */
export const dependencyReasons: ReadonlySet<string> = new Set([
  "SOURCE_NOT_FOUND",
  "PIPELINE_NOT_FOUND",
  "CREDENTIAL_NOT_FOUND",
  "RULE_DISABLED",
  "CREDENTIAL_IN_USE",
  "SOURCE_UNREADABLE",
]);

/**
 * Maps any error of a K3 adapter into the reconciler's classes — the one place where K3
 * failures meet Kubernetes semantics. The service judging the spec (INVALID_ARGUMENT,
 * ALREADY_EXISTS, FAILED_PRECONDITION about the object itself) is an invalid spec: retrying
 * cannot help until the spec changes. FAILED_PRECONDITION about something else (by its
 * ErrorInfo reason) is a dependency problem.
 */
export function classifyK3Error(err: unknown): ErrorClass {
  if (err instanceof ControllerError) return err.errorClass;
  if (!isK3Error(err)) return "transient";
  switch (err.kind) {
    case "FailedPrecondition":
      return err.reason && dependencyReasons.has(err.reason) ? "dependency" : "invalidSpec";
    case "InvalidArgument":
    case "AlreadyExists":
      return "invalidSpec";
    case "Unauthenticated":
    case "PermissionDenied":
      return "unauthorized";
    case "NotFound":
      return "notFound";
    case "Transient":
    case "Internal":
      return "transient";
  }
}

/**
 * The stable text of an error in a condition: for transient and auth failures the RPC and code
 * (details change from one retry to the next and go to the log), for a judgement of the
 * service its message, which names what to fix.
 */
export function summarizeK3Error(err: unknown, cls: ErrorClass): string {
  if (err instanceof ControllerError) return err.message;
  if (!isK3Error(err)) return err instanceof Error ? err.message : String(err);
  if (cls === "transient") return `${err.rpc}: ${err.codeName}`;
  return err.message;
}
