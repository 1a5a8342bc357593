import type { Informer } from "./informer.js";
import type { KubeClient } from "./kube-client.js";
import { isNotFound } from "./kube-errors.js";
import { keyOf, objectKey, type KubeObject } from "./kube-types.js";
import { CoreTypes } from "./resource.js";

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
}

/** An informer of objects that reference Secrets through one of its indexes (values are `namespace/name` keys). */
export interface SecretReferrer<T extends KubeObject> {
  informer: Pick<Informer<T>, "byIndex" | "addHandlers">;
  /** the index whose values are the keys of the Secrets each object references */
  index: string;
  /** the same keys for one object (the index function), to learn which Secrets an update or delete may release */
  keysOf(obj: T): string[];
}

/** Options of a `SecretStore`. */
export interface SecretStoreOptions {
  kube: Pick<KubeClient, "get">;
  /** a metadata-only Secret informer (`metadataOnly: true`): which Secrets exist, at which resourceVersion */
  metadata: Informer<KubeObject>;
  /** called once per Secret GET (a metric) */
  onRead?: () => void;
}

interface Held {
  value: SecretData;
}

/**
 * Secret data read on demand, held only for Secrets an object references. The cluster's Secrets
 * are watched metadata-only (identity and resourceVersion, no data), so memory does not grow
 * with Secrets the operator does not use; a referenced Secret's data is fetched with one GET and
 * kept under its resourceVersion, so a steady state makes no reads and a changed Secret is read
 * again on the next reconcile (its watch event triggers that reconcile). Data is dropped when the
 * Secret is deleted or no longer referenced. The resourceVersion cache is what ASO does for
 * credentials; the metadata watch is client-go's metadata informer.
 */
export class SecretStore implements SecretReader {
  private readonly held = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<SecretData | undefined>>();
  private readonly referrers: Pick<SecretReferrer<KubeObject>, "informer" | "index">[] = [];

  constructor(private readonly options: SecretStoreOptions) {
    options.metadata.addHandlers({ onDelete: (secret) => this.held.delete(objectKey(secret)) });
  }

  /** The metadata informer (watches and inputs versions read resourceVersions from it). */
  get informer(): Informer<KubeObject> {
    return this.options.metadata;
  }

  /** Declares objects that reference Secrets: data is held only while one of them does. */
  addReferrer<T extends KubeObject>(referrer: SecretReferrer<T>): void {
    this.referrers.push({ informer: referrer.informer, index: referrer.index });
    const release = (obj: T): void => {
      for (const key of referrer.keysOf(obj)) if (!this.isReferenced(key)) this.held.delete(key);
    };
    // Handlers run after the informer updated its indexes, so `isReferenced` sees the new state.
    referrer.informer.addHandlers({ onUpdate: (oldObj: T) => release(oldObj), onDelete: release });
  }

  /** The Secret's decoded data: from memory while its resourceVersion is the watched one, else one GET. */
  get(namespace: string, name: string): Promise<SecretData | undefined> {
    const key = keyOf(namespace, name);
    const watched = this.options.metadata.get(key)?.metadata?.resourceVersion;
    // Not in the watch cache: it does not exist (as far as the watch knows); its creation will
    // reconcile the objects waiting for it.
    if (watched === undefined) return Promise.resolve(undefined);
    const held = this.held.get(key);
    if (held && held.value.resourceVersion === watched) return Promise.resolve(held.value);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.read(namespace, name).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Keys (`namespace/name`) of the Secrets whose data is held in memory. */
  heldKeys(): string[] {
    return [...this.held.keys()];
  }

  private async read(namespace: string, name: string): Promise<SecretData | undefined> {
    const key = keyOf(namespace, name);
    this.options.onRead?.();
    let secret: SecretObject;
    try {
      secret = await this.options.kube.get<SecretObject>(CoreTypes.Secret, { namespace, name });
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`cannot read Secret ${key}`, { cause: err });
      this.held.delete(key);
      return undefined;
    }
    const value = decodeSecret(secret);
    if (this.isReferenced(key)) this.held.set(key, { value });
    else this.held.delete(key);
    return value;
  }

  private isReferenced(key: string): boolean {
    return this.referrers.some((r) => r.informer.byIndex(r.index, key).length > 0);
  }
}

/** Decodes a Secret object's base64 `data` into strings. */
export function decodeSecret(secret: SecretObject): SecretData {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
  return { data, resourceVersion: secret.metadata?.resourceVersion ?? "", type: secret.type ?? "Opaque" };
}
