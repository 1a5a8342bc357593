// The releases the local control plane is built from. One Kubernetes release is pinned;
// etcd follows the version kubeadm ships with that release, helm the line built against it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Pinned upstream versions of every binary the local control plane builds. */
export const versions = {
  kubernetes: "v1.34.4",
  /** The `k8s.io/*` staging modules are published as v0.<minor>.<patch> twins of the release. */
  kubernetesStaging: "v0.34.4",
  etcd: "v3.6.5",
  helm: "v3.19.5",
} as const;

/** Paths of the four binaries, keyed by version inside the cache folder. */
export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  helm: string;
  /** Small helper that writes the control plane's certificates (see certgen/main.go). */
  certgen: string;
}

/**
 * Paths of the cluster components beyond the control plane (a node and its controllers),
 * built only on request: `control-plane build --cluster`, or {@link ensureClusterBinaries}
 * from a test setup that wants garbage collection or a kubelet.
 */
export interface ClusterBinaryPaths {
  kubeControllerManager: string;
  kubeScheduler: string;
  kubelet: string;
}

/** Where each cluster component lives (or will live) under `cache`; nothing is checked on disk. */
export function clusterBinaryPaths(cache: string = cacheDir()): ClusterBinaryPaths {
  const dir = join(cache, "bin", `k8s-cluster-${versions.kubernetes}`);
  return {
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubeScheduler: join(dir, "kube-scheduler"),
    kubelet: join(dir, "kubelet"),
  };
}

/** The cache folder: `$K3_OPERATOR_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/k3-operator`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K3_OPERATOR_CACHE) return env.K3_OPERATOR_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "k3-operator");
}

/** Where each binary lives (or will live) under `cache`; nothing is checked on disk. */
export function binaryPaths(cache: string = cacheDir()): BinaryPaths {
  const bin = join(cache, "bin");
  return {
    etcd: join(bin, `etcd-${versions.etcd}`, "etcd"),
    kubeApiserver: join(bin, `k8s-${versions.kubernetes}`, "kube-apiserver"),
    kubectl: join(bin, `k8s-${versions.kubernetes}`, "kubectl"),
    helm: join(bin, `helm-${versions.helm}`, "helm"),
    certgen: join(bin, `certgen-${certgenHash()}`, "certgen"),
  };
}

/** The Go source of the certificate helper, built into the cache like the other binaries. */
export const certgenSource = join(dirname(fileURLToPath(import.meta.url)), "certgen", "main.go");

let certgenHashMemo: string | undefined;

/** Keys the helper's cache folder by its source, so an edited helper is rebuilt. */
function certgenHash(): string {
  certgenHashMemo ??= createHash("sha256").update(readFileSync(certgenSource)).digest("hex").slice(0, 12);
  return certgenHashMemo;
}
