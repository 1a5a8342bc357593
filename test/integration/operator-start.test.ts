// Starting the operator the way a user does (`npm start` = tsx src/main.ts, a child process):
// --help, and every bad start ending with one line naming the flag or env to fix, exit code 2,
// no stack trace (issue 12).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { flags } from "../../src/config.js";
import { testCluster } from "../support/kube.js";
import { installCrds } from "../support/operator.js";
import { closedPort, holdPort, runOperatorProcess, startOperatorProcess } from "../support/operator-process.js";

/** The whole of stderr is one line, with no stack frame in it. */
function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] as string;
}

describe("operator start", () => {
  beforeAll(async () => {
    await installCrds();
  });

  it("--help lists every flag with its env twin and default, exit 0", async () => {
    const result = await runOperatorProcess(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const [name, spec] of Object.entries(flags)) {
      expect(result.stdout).toMatch(new RegExp(`--${name}\\b.*\\b${spec.env}\\b.*\\(default: `));
    }
  });

  it.each([
    { reason: "a bad number", args: ["--workers", "many"], env: {}, line: 'k3-operator: --workers (WORKERS) must be a non-negative integer, got "many"' },
    { reason: "a bad number from the env twin", args: [], env: { K3_QPS: "-3" }, line: 'k3-operator: --k3-qps (K3_QPS) must be a non-negative integer, got "-3"' },
    { reason: "a bad duration", args: ["--resync-period", "10 minutes"], env: {}, line: 'k3-operator: --resync-period (RESYNC_PERIOD): invalid duration "10 minutes" (use e.g. 500ms, 30s, 10m, 1h)' },
    { reason: "a port out of range", args: ["--metrics-port", "70000"], env: {}, line: 'k3-operator: --metrics-port (METRICS_PORT) must be a port number (0-65535), got "70000"' },
    { reason: "an unknown log level", args: ["--log-level", "verbose"], env: {}, line: 'k3-operator: --log-level (LOG_LEVEL) must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"' },
    { reason: "an unknown flag", args: ["--worker", "2"], env: {}, line: "k3-operator: unknown flag --worker; k3-operator --help lists the flags" },
    { reason: "a kubeconfig that does not exist", args: ["--kubeconfig", "/nonexistent/kubeconfig"], env: {}, line: "k3-operator: kubeconfig /nonexistent/kubeconfig does not exist or cannot be read: point --kubeconfig (KUBECONFIG) at a kubeconfig file, or unset both to use the in-cluster config or ~/.kube/config" },
    { reason: "a KUBECONFIG that does not exist", args: [], env: { KUBECONFIG: "/nonexistent/kc" }, line: "k3-operator: kubeconfig /nonexistent/kc does not exist or cannot be read: point --kubeconfig (KUBECONFIG) at a kubeconfig file, or unset both to use the in-cluster config or ~/.kube/config" },
  ])("refuses $reason: one line, exit 2", async ({ args, env, line }) => {
    const result = await runOperatorProcess(args, { env });
    expect(result.exitCode).toBe(2);
    expect(expectOneLine(result.stderr)).toBe(line);
  });

  it("refuses to start with no kubeconfig at all (not in a cluster, no ~/.kube/config): one line, exit 2", async () => {
    const home = join(testCluster().scratchDir, "empty-home");
    const result = await runOperatorProcess([], { env: { HOME: home, KUBERNETES_SERVICE_HOST: undefined } });
    expect(result.exitCode).toBe(2);
    expect(expectOneLine(result.stderr)).toBe(`k3-operator: no kubeconfig: not in a cluster and ${home}/.kube/config does not exist; set --kubeconfig (KUBECONFIG) to a kubeconfig file`);
  });

  it("refuses a metrics port in use: one line, exit 2", async () => {
    const held = await holdPort();
    try {
      const result = await runOperatorProcess(["--kubeconfig", testCluster().kubeconfigPath, "--metrics-port", String(held.port), "--log-level", "silent"]);
      expect(result.exitCode).toBe(2);
      expect(expectOneLine(result.stderr)).toBe(`k3-operator: metrics port ${held.port} is already in use: choose another with --metrics-port (METRICS_PORT), or 0 to turn /metrics, /healthz and /readyz off`);
    } finally {
      await held.close();
    }
  });

  it("refuses an apiserver nobody answers at: one line naming the kubeconfig, exit 2", async () => {
    const port = await closedPort();
    const kubeconfig = join(testCluster().scratchDir, "unreachable.kubeconfig");
    const original = await readFile(testCluster().kubeconfigPath, "utf8");
    await writeFile(kubeconfig, original.replace(/server: https:\/\/[^\s]+/, `server: https://127.0.0.1:${port}`));
    const result = await runOperatorProcess(["--kubeconfig", kubeconfig, "--metrics-port", "0"]);
    expect(result.exitCode).toBe(2);
    expect(expectOneLine(result.stderr)).toBe(`k3-operator: cannot reach the apiserver of ${kubeconfig} (connect ECONNREFUSED 127.0.0.1:${port}): check --kubeconfig (KUBECONFIG) and that the cluster is up`);
  });

  it("a good start passes the preflight, starts the controllers, and stops on SIGTERM with exit 0", async () => {
    const operator = await startOperatorProcess(
      ["--kubeconfig", testCluster().kubeconfigPath, "--metrics-port", "0", "--k3-insecure", "--k3-endpoint", "127.0.0.1:1", "--namespaces", "t-none-watched"],
      /controllers started/,
    );
    expect(await operator.stop()).toBe(0);
    expect(operator.output()).toContain('"msg":"stopped"');
  });
});
