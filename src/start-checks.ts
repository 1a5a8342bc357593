// The first mistakes of a new user, each turned into one line that names the problem and the
// flag or environment variable that fixes it (docs/troubleshooting.md quotes these lines;
// test/integration/operator-start.test.ts checks both). Functions here return messages and
// never exit: src/main.ts decides what a message means for the process.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { flagAndEnv, type OperatorConfig } from "./config.js";

/** Why the configured (or default) kubeconfig cannot be used, or undefined when it can. */
export function kubeconfigProblem(config: OperatorConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (config.kubeconfig !== "") {
    for (const path of config.kubeconfig.split(":").filter(Boolean)) {
      try {
        accessSync(path, constants.R_OK);
      } catch {
        return `kubeconfig ${path} does not exist or cannot be read: point ${flagAndEnv("kubeconfig")} at a kubeconfig file, or unset both to use the in-cluster config or ~/.kube/config`;
      }
    }
    return undefined;
  }
  if (env.KUBERNETES_SERVICE_HOST !== undefined) return undefined;
  const home = join(env.HOME ?? homedir(), ".kube", "config");
  try {
    accessSync(home, constants.R_OK);
    return undefined;
  } catch {
    return `no kubeconfig: not in a cluster and ${home} does not exist; set ${flagAndEnv("kubeconfig")} to a kubeconfig file`;
  }
}

/** One line for a failure of the operator's start that a flag fixes, or undefined (a bug: keep its stack). */
export function startFailureMessage(error: unknown, config: OperatorConfig): string | undefined {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (syscall === "listen" && code === "EADDRINUSE") {
    return `metrics port ${config.metricsPort} is already in use: choose another with ${flagAndEnv("metrics-port")}, or 0 to turn /metrics, /healthz and /readyz off`;
  }
  if (syscall === "listen" && code === "EACCES") {
    return `no permission to listen on metrics port ${config.metricsPort}: choose a port above 1023 with ${flagAndEnv("metrics-port")}`;
  }
  return undefined;
}
