// Before any controller starts: can the apiserver be reached, and are the four CRDs installed?
// Without this, both mistakes show only as "list/watch failed; retrying" warnings repeated
// forever. Like a controller-runtime manager that finds no REST mapping, the operator then
// refuses to start (main.ts exits 2), and Kubernetes restarts it until the cause is fixed.
import type { OperatorConfig } from "./config.js";
import { flagAndEnv } from "./config.js";
import { K3Resources } from "./controllers/resources.js";
import { createKubeClient, isNotFound, KubeApiError, type KubeClient } from "./runtime/index.js";

/** How long one preflight list may take before the apiserver counts as unreachable. */
export const PREFLIGHT_TIMEOUT_MS = 10_000;

/** The deepest message of an error's cause chain ("connect ECONNREFUSED 127.0.0.1:6443"). */
function rootCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * Lists each K3 kind once (limit 1, in a watched namespace when there are any) and returns one
 * line naming the first problem, or undefined. A refusal other than 404 (RBAC, say) is left
 * for the controllers to report: the preflight only catches what stops everything.
 */
export async function preflightProblem(config: OperatorConfig, kube: KubeClient = createKubeClient({ kubeconfigPath: config.kubeconfig || undefined, requestTimeoutMs: PREFLIGHT_TIMEOUT_MS })): Promise<string | undefined> {
  for (const rt of Object.values(K3Resources)) {
    try {
      await kube.list(rt, { namespace: config.namespaces[0], limit: 1 });
    } catch (error) {
      if (isNotFound(error)) {
        return `the CRD ${rt.plural}.${rt.group} is not installed: kubectl apply -f crds/ (the Helm chart installs it), then start again`;
      }
      if (error instanceof KubeApiError) continue;
      const where = config.kubeconfig === "" ? "the default kubeconfig" : config.kubeconfig;
      return `cannot reach the apiserver of ${where} (${rootCause(error)}): check ${flagAndEnv("kubeconfig")} and that the cluster is up`;
    }
  }
  return undefined;
}
