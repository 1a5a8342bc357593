// A small hand-written ObjectMeta: src/api must not import @kubernetes/client-node (DESIGN §2),
// yet the generated kind types need a metadata shape. Fields are those the operator reads or
// writes; anything else the apiserver returns is still there at runtime.

/** An owner of an object, as the apiserver stores it in metadata.ownerReferences. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Standard Kubernetes object metadata: every field optional, as on objects not yet created. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}
