/** The parts of metav1.ObjectMeta the runtime reads or writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  managedFields?: unknown[];
  ownerReferences?: unknown[];
}

/** Any Kubernetes object; typed objects (custom resources, Secrets, Leases) extend it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list answer: items plus the resourceVersion to watch from and the paging token. */
export interface KubeList<T extends KubeObject> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A metav1.Status as returned in error answers and watch ERROR events. */
export interface KubeStatus {
  kind?: "Status";
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** One event of a watch stream. */
export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; object: KubeObject }
  | { type: "ERROR"; object: KubeStatus };

/** The cache/queue key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The cache/queue key of `obj` (see `keyOf`). */
export function objectKey(obj: KubeObject): string {
  return keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "");
}

/** Splits a key made by `keyOf` back into namespace and name. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
