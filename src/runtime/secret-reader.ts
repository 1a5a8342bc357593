import { keyOf, type KubeObject } from "./kube-types.js";

/** A Secret's decoded values, plus its resourceVersion so callers can cache or hash by it. */
export interface SecretData {
  data: Record<string, string>;
  resourceVersion: string;
  /** the Secret's `type`, e.g. `Opaque`; absent when the reader does not know it */
  type?: string;
}

/**
 * Reads Secrets for adapters that must not talk to the apiserver themselves (connection tokens,
 * source credentials). `get` resolves `undefined` when the Secret does not exist.
 */
export interface SecretReader {
  get(namespace: string, name: string): Promise<SecretData | undefined>;
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/**
 * A `SecretReader` over a Secret informer's cache: no apiserver call per read, and as fresh as
 * the watch (a rotated Secret is seen as soon as its event arrives). For objects reconciled
 * after that informer synced.
 */
export function newCachedSecretReader(cache: { get(key: string): KubeObject | undefined }): SecretReader {
  return {
    get(namespace, name) {
      const secret = cache.get(keyOf(namespace, name));
      return Promise.resolve(secret ? decodeSecret(secret as SecretObject) : undefined);
    },
  };
}

/** Decodes a Secret object's base64 `data` into strings. */
export function decodeSecret(secret: SecretObject): SecretData {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
  return { data, resourceVersion: secret.metadata?.resourceVersion ?? "", type: secret.type ?? "Opaque" };
}
