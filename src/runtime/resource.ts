/** Identifies a Kubernetes resource type for generic API calls (core types have group ""). */
export interface ResourceType {
  group: string;
  version: string;
  /** lower-case plural as used in URLs, e.g. `secrets`, `k3pipelines` */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** The `apiVersion` field value of the type, e.g. `v1` or `coordination.k8s.io/v1`. */
export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** The URL path of the type's collection, in `namespace` or across all namespaces when omitted. */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const root = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${root}${ns}/${rt.plural}`;
}

/** The URL path of one object, optionally of its subresource (e.g. `status`). */
export function objectPath(rt: ResourceType, ref: { namespace?: string; name: string }, subresource?: string): string {
  if (rt.namespaced && !ref.namespace) throw new Error(`${rt.kind} ${ref.name}: a namespace is required`);
  const base = `${collectionPath(rt, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** Well-known core types the runtime itself uses. */
export const CoreTypes = {
  Secret: { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
  Event: { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true },
  Lease: { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
  Namespace: { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
} as const satisfies Record<string, ResourceType>;
