// Kubeconfig files for the local control plane: the admin's, and any user's or
// ServiceAccount's (to test RBAC as the operator's ServiceAccount would be treated).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { runCommand } from "./exec.js";
import { binaryPaths } from "./versions.js";

/** How a kubeconfig's user authenticates: a client certificate or a bearer token. */
export type KubeconfigCredentials = { certPem: string; keyPem: string } | { token: string };

/** Input of {@link renderKubeconfig}. */
export interface KubeconfigSpec {
  /** Used as the cluster, user and context name. */
  name: string;
  server: string;
  caPem: string;
  credentials: KubeconfigCredentials;
  /** Namespace of the context; kubectl's default namespace. */
  namespace?: string;
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Renders a self-contained kubeconfig (certificates inline) with one cluster, user and context. */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  const user = "token" in spec.credentials
    ? { token: spec.credentials.token }
    : { "client-certificate-data": base64(spec.credentials.certPem), "client-key-data": base64(spec.credentials.keyPem) };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: spec.name, cluster: { server: spec.server, "certificate-authority-data": base64(spec.caPem) } }],
    users: [{ name: spec.name, user }],
    contexts: [{ name: spec.name, context: { cluster: spec.name, user: spec.name, ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
    "current-context": spec.name,
  });
}

/** The cluster part of a control plane, which every kubeconfig for it shares. */
export interface ClusterAccess {
  server: string;
  /** Folder with ca.crt and ca.key (written by certgen); the CA signs user certificates. */
  pkiDir: string;
  /** The certgen helper binary; defaults to the cached one. */
  certgen?: string;
}

/** Options of {@link createUserKubeconfig}. */
export interface UserKubeconfigOptions {
  cluster: ClusterAccess;
  /** The certificate's CN: the user name RBAC sees. */
  user: string;
  /** The certificate's O entries: the groups RBAC sees. */
  groups?: string[];
  /** Where to write it; defaults to `<pkiDir>/../users/<user>.kubeconfig`. */
  path?: string;
}

/**
 * Signs a client certificate for `user` in `groups` with the control plane's CA and writes a
 * kubeconfig using it; returns its path. For a ServiceAccount use {@link serviceAccountUser}:
 * RBAC then treats the certificate's holder exactly as that ServiceAccount.
 */
export async function createUserKubeconfig(options: UserKubeconfigOptions): Promise<string> {
  const { cluster, user, groups = [] } = options;
  const certgen = cluster.certgen ?? binaryPaths().certgen;
  const result = await runCommand(certgen, ["client", cluster.pkiDir, user, ...groups]);
  if (result.exitCode !== 0) throw new Error(`cannot sign a client certificate for ${user}: ${result.stderr.trim()}`);
  const { cert, key } = JSON.parse(result.stdout) as { cert: string; key: string };
  const caPem = await readFile(join(cluster.pkiDir, "ca.crt"), "utf8");
  const path = options.path ?? join(dirname(cluster.pkiDir), "users", `${user.replaceAll(":", "_")}.kubeconfig`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderKubeconfig({ name: user, server: cluster.server, caPem, credentials: { certPem: cert, keyPem: key } }), { mode: 0o600 });
  return path;
}

/**
 * The user name and groups under which the apiserver authenticates a ServiceAccount's token
 * (it adds `system:authenticated` to every authenticated user itself).
 */
export function serviceAccountUser(namespace: string, name: string): { user: string; groups: string[] } {
  return { user: `system:serviceaccount:${namespace}:${name}`, groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`] };
}
