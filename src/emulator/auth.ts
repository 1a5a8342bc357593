// Bearer-token authentication: HS256 JWTs signed with the emulator's shared secret. The
// tenant comes from the `tenant` claim; `exp` (seconds since the epoch) is checked against
// the emulator's clock so that tests with an injected clock can expire tokens.
import { createHmac, timingSafeEqual } from "node:crypto";
import { status as GrpcStatus, type Metadata } from "@grpc/grpc-js";
import { EmulatorError } from "./errors.js";

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
  /** The HS256 secret. */
  secret: string;
  /** The tenant claim. */
  tenant: string;
  /** Lifetime in seconds; default 3600. Negative values mint an already expired token. */
  ttlSeconds?: number;
  /** Issue time in milliseconds since the epoch; default now. */
  nowMs?: number;
}

/** The claims the emulator reads from a token. */
export interface TokenClaims {
  /** The tenant the caller acts for. */
  tenant: string;
  /** Expiry in seconds since the epoch, when the token has one. */
  exp?: number;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");
const sign = (input: string, secret: string): Buffer => createHmac("sha256", secret).update(input).digest();

/** Returns an HS256 JWT carrying `tenant`, `iat` and `exp`. */
export function mintToken(options: MintTokenOptions): string {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ sub: options.tenant, tenant: options.tenant, iat, exp: iat + (options.ttlSeconds ?? 3600) }));
  return `${header}.${payload}.${base64url(sign(`${header}.${payload}`, options.secret))}`;
}

function unauthenticated(reason: string, message: string): EmulatorError {
  return new EmulatorError({ code: GrpcStatus.UNAUTHENTICATED, message, reason });
}

function parseJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks a JWT's signature, algorithm, tenant and expiry; throws UNAUTHENTICATED on any problem. */
export function verifyToken(token: string, secret: string, nowMs: number): TokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw unauthenticated("INVALID_TOKEN", "invalid token: not a JWT (expected three dot-separated parts)");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(headerPart);
  if (!isRecord(header) || header.alg !== "HS256") {
    throw unauthenticated("INVALID_TOKEN", "invalid token: only HS256-signed JWTs are accepted");
  }
  const expected = sign(`${headerPart}.${payloadPart}`, secret);
  const given = Buffer.from(signaturePart, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthenticated("INVALID_TOKEN", "invalid token: signature does not match");
  }
  const payload = parseJson(payloadPart);
  if (!isRecord(payload)) throw unauthenticated("INVALID_TOKEN", "invalid token: payload is not a JSON object");
  if (typeof payload.tenant !== "string" || payload.tenant === "") {
    throw unauthenticated("INVALID_TOKEN", "invalid token: missing the `tenant` claim");
  }
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== "number") throw unauthenticated("INVALID_TOKEN", "invalid token: `exp` is not a number");
    if (payload.exp * 1000 <= nowMs) {
      throw unauthenticated("TOKEN_EXPIRED", `token expired at ${new Date(payload.exp * 1000).toISOString()}`);
    }
    return { tenant: payload.tenant, exp: payload.exp };
  }
  return { tenant: payload.tenant };
}

/** Reads `authorization: Bearer <JWT>` from call metadata and verifies it. */
export function authenticate(metadata: Metadata, secret: string, nowMs: number): TokenClaims {
  const values = metadata.get("authorization");
  const header = values[0];
  if (typeof header !== "string" || header === "") {
    throw unauthenticated("MISSING_CREDENTIALS", "missing `authorization: Bearer <JWT>` metadata");
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) {
    throw unauthenticated("INVALID_TOKEN", "malformed authorization metadata: expected `Bearer <JWT>`");
  }
  return verifyToken(match[1], secret, nowMs);
}
