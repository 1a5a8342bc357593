import { defineConfig } from "vitest/config";

// Two projects so that unit tests never wait for the control plane: the integration project's
// global setup (one kube-apiserver + etcd per run) only starts when integration tests run.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "integration", include: ["test/**/*.test.ts"], globalSetup: ["test/setup/global-setup.ts"] },
      },
    ],
  },
});
