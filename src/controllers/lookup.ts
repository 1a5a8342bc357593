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
