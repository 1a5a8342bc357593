import type { KubeClient } from "./kube-client.js";
import { isNotFound } from "./kube-errors.js";
import type { KubeObject } from "./kube-types.js";
import { CoreTypes } from "./resource.js";

/** Answers whether a namespace is being deleted (or already gone). */
export interface NamespaceLifecycle {
  /** True when `name` is Terminating or no longer exists: nothing new can be created in it. */
  terminating(name: string): Promise<boolean>;
}

/**
 * Reads the namespace on demand (one GET, on the rare path that needs it: a deletion that
 * cannot reach the external service), so no namespace is cached or watched.
 */
export function newNamespaceLifecycle(kube: KubeClient): NamespaceLifecycle {
  return {
    async terminating(name) {
      try {
        const ns = await kube.get<KubeObject & { status?: { phase?: string } }>(CoreTypes.Namespace, { name });
        return ns.metadata?.deletionTimestamp !== undefined || ns.status?.phase === "Terminating";
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
  };
}
