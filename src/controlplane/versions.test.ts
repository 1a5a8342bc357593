import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryPaths, cacheDir, clusterBinaryPaths, versions } from "./versions.js";

describe("cacheDir", () => {
  it.each([
    { reason: "K3_OPERATOR_CACHE wins", env: { K3_OPERATOR_CACHE: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }, expected: "/c" },
    { reason: "else under XDG_CACHE_HOME", env: { XDG_CACHE_HOME: "/x" }, expected: "/x/k3-operator" },
  ])("$reason", ({ env, expected }) => {
    expect(cacheDir(env)).toBe(expected);
  });

  it("falls back to ~/.cache", () => {
    expect(cacheDir({})).toMatch(/\/\.cache\/k3-operator$/);
  });
});

describe("binaryPaths", () => {
  it("keys every folder by the pinned version, so a version bump builds afresh", () => {
    const paths = binaryPaths("/cache");
    expect(paths.kubeApiserver).toBe(join("/cache/bin", `k8s-${versions.kubernetes}`, "kube-apiserver"));
    expect(paths.etcd).toBe(join("/cache/bin", `etcd-${versions.etcd}`, "etcd"));
    expect(paths.helm).toBe(join("/cache/bin", `helm-${versions.helm}`, "helm"));
    expect(paths.certgen).toMatch(/^\/cache\/bin\/certgen-[0-9a-f]{12}\/certgen$/);
  });
});

describe("clusterBinaryPaths", () => {
  it("keeps the on-request cluster components in a folder of their own, keyed by the Kubernetes version", () => {
    const dir = join("/cache/bin", `k8s-cluster-${versions.kubernetes}`);
    expect(clusterBinaryPaths("/cache")).toEqual({
      kubeControllerManager: join(dir, "kube-controller-manager"),
      kubeScheduler: join(dir, "kube-scheduler"),
      kubelet: join(dir, "kubelet"),
    });
    // Building them replaces their folder as a whole: it must not be the control plane's.
    expect(dir).not.toBe(join("/cache/bin", `k8s-${versions.kubernetes}`));
  });
});
