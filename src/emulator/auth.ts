// Bearer-token authentication: HS256 JWTs signed with the emulator's shared secret. The
// tenant comes from the `tenant` claim; `exp` (seconds since the epoch) is checked against
// the emulator's clock so that tests with an injected clock can expire tokens.
// Verification is jose's. Minting stays a few lines of our own: jose signs only
// asynchronously, and `mintToken` is a synchronous helper that tests, scripts and the
// emulator handle call in many places; a JWS is base64url(header).base64url(payload).HMAC.
import { createHmac } from "node:crypto";
import { status as GrpcStatus, type Metadata } from "@grpc/grpc-js";
import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
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

/** Our message for each jose error code a bad token can raise (others say "invalid token"). */
const JOSE_MESSAGES: Readonly<Record<string, string>> = {
  ERR_JWS_INVALID: "invalid token: not a JWT (expected three dot-separated parts)",
  ERR_JWT_INVALID: "invalid token: payload is not a JSON object",
  ERR_JOSE_ALG_NOT_ALLOWED: "invalid token: only HS256-signed JWTs are accepted",
  ERR_JOSE_NOT_SUPPORTED: "invalid token: only HS256-signed JWTs are accepted",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "invalid token: signature does not match",
  ERR_JWT_CLAIM_VALIDATION_FAILED: "invalid token: a claim is malformed",
};

/**
 * Checks a JWT's signature, algorithm, tenant and expiry with jose; throws UNAUTHENTICATED on
 * any problem. `exp` is compared with `nowMs`, the emulator's clock, not the wall clock.
 */
export async function verifyToken(token: string, secret: string, nowMs: number): Promise<TokenClaims> {
  if (token.split(".").length !== 3) throw unauthenticated("INVALID_TOKEN", JOSE_MESSAGES.ERR_JWS_INVALID as string);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], currentDate: new Date(nowMs) }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      const exp = typeof error.payload.exp === "number" ? new Date(error.payload.exp * 1000).toISOString() : "its exp";
      throw unauthenticated("TOKEN_EXPIRED", `token expired at ${exp}`);
    }
    const code = error instanceof joseErrors.JOSEError ? error.code : "";
    throw unauthenticated("INVALID_TOKEN", JOSE_MESSAGES[code] ?? "invalid token");
  }
  if (typeof payload.tenant !== "string" || payload.tenant === "") {
    throw unauthenticated("INVALID_TOKEN", "invalid token: missing the `tenant` claim");
  }
  return payload.exp === undefined ? { tenant: payload.tenant } : { tenant: payload.tenant, exp: payload.exp };
}

/** Reads `authorization: Bearer <JWT>` from call metadata and verifies it. */
export async function authenticate(metadata: Metadata, secret: string, nowMs: number): Promise<TokenClaims> {
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
