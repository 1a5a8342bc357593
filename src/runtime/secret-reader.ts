import type { KubeClient } from "./kube-client.js";
import { isNotFound } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import { CoreTypes } from "./resource.js";

/** A Secret's decoded values, plus its resourceVersion so callers can cache or hash by it. */
export interface SecretData {
  data: Record<string, string>;
  resourceVersion: string;
}

/**
 * Reads Secrets for adapters that must not talk to the apiserver themselves (connection tokens,
 * source credentials). `get` resolves `undefined` when the Secret does not exist.
 */
export interface SecretReader {
  get(namespace: string, name: string): Promise<SecretData | undefined>;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** A `SecretReader` that reads through `kube` on every call, so rotated Secrets are seen at once. */
export function newSecretReader(kube: KubeClient): SecretReader {
  return {
    async get(namespace, name) {
      try {
        return decodeSecret(await kube.get<SecretObject>(CoreTypes.Secret, { namespace, name }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new Error(`cannot read secret ${namespace}/${name}`, { cause: err });
      }
    },
  };
}

/** Decodes a Secret object's base64 `data` into strings. */
export function decodeSecret(secret: SecretObject): SecretData {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
  return { data, resourceVersion: secret.metadata?.resourceVersion ?? "" };
}
