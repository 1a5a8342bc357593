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
 * Maps any error of a K3 adapter into the reconciler's five classes — the one place where K3
 * failures meet Kubernetes semantics. The service judging the spec (INVALID_ARGUMENT,
 * FAILED_PRECONDITION, ALREADY_EXISTS) is an invalid spec: retrying cannot help until the
 * spec changes.
 */
export function classifyK3Error(err: unknown): ErrorClass {
  if (err instanceof ControllerError) return err.errorClass;
  if (!isK3Error(err)) return "transient";
  switch (err.kind) {
    case "InvalidArgument":
    case "FailedPrecondition":
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
