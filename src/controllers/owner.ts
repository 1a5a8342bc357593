import { ownerLabels as ownerLabelKeys } from "../api/keys.js";
import type { ObjectMeta } from "../api/object-meta.js";

interface Owned {
  metadata: ObjectMeta;
}

/** The labels that tie a remote object to the custom resource owning it (adoption after a lost create). */
export function ownerLabels(obj: Owned): Record<string, string> {
  return {
    [ownerLabelKeys.uid]: obj.metadata.uid ?? "",
    [ownerLabelKeys.namespace]: obj.metadata.namespace ?? "",
    [ownerLabelKeys.name]: obj.metadata.name ?? "",
  };
}

/** The label filter that finds the remote object created for this exact resource (by uid). */
export function ownerLabelFilter(obj: Owned): Record<string, string> {
  return { [ownerLabelKeys.uid]: obj.metadata.uid ?? "" };
}

/**
 * The remote display name of a resource without an explicit one: "namespace/name", unique in
 * the tenant as long as one cluster maps to one tenant.
 */
export function remoteDisplayName(obj: Owned): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}
