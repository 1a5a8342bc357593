import { configDefaults, defineConfig } from "vitest/config";

// Two projects so that unit tests never wait for the control plane: the integration project's
// global setup (one kube-apiserver + etcd per run) only starts when integration tests run.
// test/unit holds unit tests of files outside src/ (deploy/, scripts/).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/unit/**"],
          globalSetup: ["test/setup/global-setup.ts"],
          // One file at a time: files share one apiserver, and tests that assert "no writes"
          // read its cluster-wide request counters.
          fileParallelism: false,
        },
      },
    ],
  },
});
