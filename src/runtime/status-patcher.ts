import { isDeepStrictEqual } from "node:util";
import type { KubeClient } from "./kube-client.js";
import { isNotFound } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import type { ResourceType } from "./resource.js";

/** A status object as stored under `.status`. */
export type Status = Record<string, unknown>;

/**
 * Writes what a reconciler decided about one object. Injected into the managed reconciler so it
 * can be unit-tested without an apiserver. Errors are the KubeClient's (`isConflict`, `isNotFound`).
 */
export interface ObjectWriter<T extends KubeObject> {
  /** Writes `status` through the status subresource if it differs from `obj.status`; returns the stored object, or `obj` when nothing was written. */
  patchStatus(obj: T, status: Status): Promise<T>;
  /** Adds `finalizer` if absent (optimistic lock on resourceVersion); returns the stored object. */
  addFinalizer(obj: T, finalizer: string): Promise<T>;
  /** Removes `finalizer` if present (optimistic lock on resourceVersion); returns the stored object. */
  removeFinalizer(obj: T, finalizer: string): Promise<T>;
  /** Deletes the object itself (a finished run past its TTL); already gone is no error. */
  deleteObject?(obj: T): Promise<void>;
}

/** An `ObjectWriter` for objects of type `rt` that writes through `kube` with merge patches. */
export function newObjectWriter<T extends KubeObject>(kube: KubeClient, rt: ResourceType): ObjectWriter<T> {
  const ref = (obj: KubeObject): { namespace?: string; name: string } => ({
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? "",
  });
  const setFinalizers = (obj: T, finalizers: string[]): Promise<T> =>
    // resourceVersion in a merge patch is a precondition: a concurrent change answers 409, and
    // we never overwrite a finalizer list someone else just changed.
    kube.patch<T>(rt, ref(obj), { type: "merge", body: { metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion } } });
  return {
    async patchStatus(obj, status) {
      const patch = statusPatch(statusOf(obj), status);
      if (patch === undefined) return obj;
      return kube.patch<T>(rt, ref(obj), { type: "merge", body: { status: patch } }, { subresource: "status" });
    },
    async addFinalizer(obj, finalizer) {
      const current = obj.metadata?.finalizers ?? [];
      if (current.includes(finalizer)) return obj;
      return setFinalizers(obj, [...current, finalizer]);
    },
    async removeFinalizer(obj, finalizer) {
      const current = obj.metadata?.finalizers ?? [];
      if (!current.includes(finalizer)) return obj;
      return setFinalizers(obj, current.filter((f) => f !== finalizer));
    },
    async deleteObject(obj) {
      await kube.delete(rt, ref(obj)).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    },
  };
}

/** The `.status` of any object, as a record (undefined when absent). */
export function statusOf(obj: KubeObject): Status | undefined {
  return (obj as { status?: Status }).status;
}

/**
 * The merge patch that turns status `from` into `to`, or `undefined` when they are equal
 * ignoring conditions' `lastTransitionTime` (so a recomputed but unchanged status is never written).
 */
export function statusPatch(from: Status | undefined, to: Status): Status | undefined {
  if (isDeepStrictEqual(normalize(from ?? {}), normalize(to))) return undefined;
  return mergeDiff(from ?? {}, to);
}

/** An RFC 7386 merge patch from `from` to `to`: changed keys, `null` for removed ones; arrays are replaced whole. */
export function mergeDiff(from: Status, to: Status): Status {
  const patch: Status = {};
  for (const key of Object.keys(from)) if (!(key in to) || to[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[key];
    if (isPlainObject(old) && isPlainObject(value)) {
      const sub = mergeDiff(old, value);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!isDeepStrictEqual(old, value)) {
      patch[key] = value;
    }
  }
  return patch;
}

function isPlainObject(v: unknown): v is Status {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Drops `lastTransitionTime` from conditions and undefined fields, so only meaningful differences count. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isPlainObject(value)) return value;
  const out: Status = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = k === "conditions" && Array.isArray(v) ? v.map(stripTransitionTime) : normalize(v);
  }
  return out;
}

function stripTransitionTime(cond: unknown): unknown {
  if (!isPlainObject(cond)) return cond;
  const { lastTransitionTime: _t, ...rest } = cond;
  return rest;
}
