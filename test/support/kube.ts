// What integration tests need from the cluster started by test/setup/global-setup.ts:
// kubectl as a user would run it, a namespace per test, and kubeconfigs of other identities.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inject, test } from "vitest";
import { parse, stringify } from "yaml";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { runCommand, type CommandResult } from "../../src/controlplane/exec.js";
import { createUserKubeconfig, type ClusterAccess } from "../../src/controlplane/kubeconfig.js";

/** The cluster the tests run against, as provided by the global setup. */
export interface TestCluster {
  /** Admin (system:masters) kubeconfig. */
  kubeconfigPath: string;
  /** Our own control plane's CA and server; null on an existing cluster. */
  access: ClusterAccess | null;
  /** A folder for the tests' files (kubeconfigs of other users), removed after the run. */
  scratchDir: string;
}

/** The cluster of this test run. */
export function testCluster(): TestCluster {
  return inject("cluster");
}

/** Options of {@link kubectl}. */
export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  /** Defaults to the admin kubeconfig of the test cluster. */
  kubeconfig?: string;
}

/** Runs kubectl against the test cluster; resolves with its exit code and output, whatever they are. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<CommandResult> {
  const kubeconfig = options.kubeconfig ?? testCluster().kubeconfigPath;
  return runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input: options.input, timeoutMs: 60_000 });
}

/** Runs kubectl and resolves with its stdout; rejects with its stderr if it fails. */
export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** A valid, unique namespace name that hints at the test it belongs to. */
export function namespaceName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return `t-${slug ? `${slug}-` : ""}${randomBytes(3).toString("hex")}`;
}

/**
 * `test` with a `namespace` fixture: a namespace created for this test alone and deleted
 * after it. Without a controller-manager the deletion never completes (the namespace stays
 * Terminating), which is harmless: names are unique and the whole etcd is thrown away.
 */
export const kubeTest = test.extend("namespace", async ({ task }, { onCleanup }) => {
  const name = namespaceName(task.name);
  await kubectlOk(["create", "namespace", name]);
  onCleanup(async () => {
    await kubectl(["delete", "namespace", name, "--wait=false"]);
  });
  return name;
});

/** One cluster of a kubeconfig file, in the file's own shape. */
interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/**
 * A kubeconfig acting as `user` in `groups`, to test what RBAC lets them do. On our control
 * plane it holds a client certificate signed by its CA; on an existing cluster it impersonates
 * them with the admin's credentials (kubectl honours `as`/`as-groups`).
 */
export async function userKubeconfig(options: { user: string; groups?: string[] }): Promise<string> {
  const cluster = testCluster();
  const path = join(cluster.scratchDir, `${namespaceName(options.user)}.kubeconfig`);
  if (cluster.access) return createUserKubeconfig({ cluster: cluster.access, user: options.user, groups: options.groups, path });
  const config = parse(await readFile(cluster.kubeconfigPath, "utf8")) as KubeconfigFile;
  const contextName = config["current-context"];
  const userName = config.contexts?.find((each) => each.name === contextName)?.context.user;
  const entry = config.users?.find((each) => each.name === userName);
  if (!entry) throw new Error(`cannot find the current user in ${cluster.kubeconfigPath}`);
  entry.user = { ...entry.user, as: options.user, "as-groups": options.groups ?? [] };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

/**
 * A kubeconfig with a token of the ServiceAccount `namespace/name` (which must exist), made
 * through the TokenRequest API: authentication exactly as a pod of that ServiceAccount gets.
 */
export async function serviceAccountKubeconfig(options: { namespace: string; name: string }): Promise<string> {
  const token = (await kubectlOk(["create", "token", options.name, "-n", options.namespace, "--duration=2h"])).trim();
  const admin = parse(await readFile(testCluster().kubeconfigPath, "utf8")) as KubeconfigFile;
  const clusterName = admin.contexts?.find((each) => each.name === admin["current-context"])?.context.cluster;
  const cluster = admin.clusters?.find((each) => each.name === clusterName);
  if (!cluster) throw new Error("cannot find the current cluster in the test kubeconfig");
  const name = `${options.namespace}-${options.name}`;
  const path = join(testCluster().scratchDir, `sa-${name}-${randomBytes(3).toString("hex")}.kubeconfig`);
  const config: KubeconfigFile = {
    clusters: [cluster],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: cluster.name, user: name, namespace: options.namespace } }],
    "current-context": name,
  };
  await writeFile(path, stringify({ apiVersion: "v1", kind: "Config", ...config }), { mode: 0o600 });
  return path;
}
