import { isK3Error } from "../grpc/index.js";

/** The answer of a Get-like call, or undefined when the service answers NOT_FOUND (observe: "it does not exist"). */
export async function unlessNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (isK3Error(err, "NotFound")) return undefined;
    throw err;
  }
}

/**
 * The message a Get answered with. An OK answer without one is malformed — never read as "it
 * does not exist", which would create a duplicate (drift) or orphan (delete): a transient error.
 */
export async function getOrUndefined<A, K extends keyof A>(call: Promise<A>, field: K, rpc: string): Promise<NonNullable<A[K]> | undefined> {
  const answer = await unlessNotFound(call);
  if (answer === undefined || answer === null) return undefined;
  const body = answer[field];
  if (body === undefined || body === null) throw new Error(`${rpc} answered OK without a ${String(field)}`);
  return body;
}
