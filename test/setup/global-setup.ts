// One control plane per test run, shared by every integration test (each test works in a
// namespace of its own, see test/support/kube.ts). With K3_TEST_USE_EXISTING_CLUSTER=true
// the cluster of $KUBECONFIG is used instead and nothing is started.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startControlPlane } from "../../src/controlplane/control-plane.js";
import { ensureGrpcurl } from "../../src/controlplane/grpcurl.js";
import type { TestCluster } from "../support/kube.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The cluster the integration tests run against. */
    cluster: TestCluster;
    /** Path of the pinned grpcurl, or why it could not be built (the reflection test reports it). */
    grpcurl: { path: string } | { error: string };
  }
}

/** Starts the control plane (building its binaries on first use) and provides it to the tests. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // Built (once, then cached) while the control plane starts; only the reflection test needs it.
  const grpcurl = ensureGrpcurl().then((path) => ({ path }), (error: unknown) => ({ error: String(error) }));
  if (process.env.K3_TEST_USE_EXISTING_CLUSTER === "true") {
    const kubeconfigPath = process.env.KUBECONFIG?.split(":")[0];
    if (!kubeconfigPath || !existsSync(kubeconfigPath)) {
      throw new Error("K3_TEST_USE_EXISTING_CLUSTER=true needs KUBECONFIG to name an existing kubeconfig file");
    }
    const scratchDir = await mkdtemp(join(tmpdir(), "k3-test-"));
    provide(project, { kubeconfigPath, access: null, scratchDir });
    project.provide("grpcurl", await grpcurl);
    return () => rm(scratchDir, { recursive: true, force: true });
  }
  const plane = await startControlPlane();
  // Inside the control plane's folder, so that even a killed run leaves nothing behind.
  const scratchDir = join(plane.dir, "scratch");
  await mkdir(scratchDir);
  provide(project, { kubeconfigPath: plane.kubeconfigPath, access: plane.cluster, scratchDir });
  project.provide("grpcurl", await grpcurl);
  return () => plane.stop();
}

function provide(project: TestProject, cluster: TestCluster): void {
  project.provide("cluster", cluster);
  // For tools and child processes that read the environment rather than vitest's inject().
  process.env.KUBECONFIG_K3_TEST = cluster.kubeconfigPath;
}
