// docs/troubleshooting.md quotes the exact line of each first mistake; this test provokes each
// one for real (no Go, ports in use, a rejected token, CRDs missing on a fresh control plane,
// an unreachable apiserver, a missing kubeconfig, a bad flag value) and checks the page's line
// against what the code printed, so neither can change without the other.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCommand } from "../../src/controlplane/exec.js";
import { startControlPlane } from "../../src/controlplane/control-plane.js";
import { mintToken } from "../../src/emulator/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk, testCluster } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";
import { closedPort, holdPort, runOperatorProcess } from "../support/operator-process.js";

/** id → the documented line, from `<!-- message: id -->` followed by a ```text block. */
async function documentedMessages(): Promise<Map<string, string>> {
  const page = await readFile("docs/troubleshooting.md", "utf8");
  return new Map([...page.matchAll(/<!-- message: ([\w-]+) -->\n```text\n([^\n]+)\n```/g)].map((m) => [m[1] as string, m[2] as string]));
}

/** The documented line as an anchored pattern: `<...>` stands for any text. */
function pattern(documented: string): RegExp {
  const parts = documented.split(/<[^<>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".+?")}$`);
}

const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? "";

describe("docs/troubleshooting.md", () => {
  let documented: Map<string, string>;
  const printed = new Map<string, string>();
  beforeAll(async () => {
    documented = await documentedMessages();
    await installCrds();
  });

  const check = (id: string, line: string): void => {
    printed.set(id, line);
    const doc = documented.get(id);
    expect(doc, `docs/troubleshooting.md has no message "${id}"`).toBeDefined();
    expect(line).toMatch(pattern(doc!));
  };

  it("go-missing: the control-plane build without Go on the PATH", async () => {
    const cache = await mkdtemp(join(tmpdir(), "k3-nogo-"));
    try {
      // Only node's own folder on the PATH (a system Go in /usr/bin must not count). An empty cache forces a build.
      const env = { HOME: process.env.HOME, PATH: dirname(process.execPath), K3_OPERATOR_CACHE: cache };
      const result = await runCommand(process.execPath, ["--import", "tsx", "src/controlplane/cli.ts", "build"], { env, timeoutMs: 60_000 });
      expect(result.exitCode).toBe(1);
      check("go-missing", lastLine(result.stderr));
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("metrics-port-in-use and emulator-port-in-use", async () => {
    const held = await holdPort();
    try {
      const operator = await runOperatorProcess(["--kubeconfig", testCluster().kubeconfigPath, "--metrics-port", String(held.port), "--log-level", "silent"]);
      expect(operator.exitCode).toBe(2);
      check("metrics-port-in-use", lastLine(operator.stderr));
      const emulator = await runCommand(process.execPath, ["bin/k3-emulator.js", "serve", "--secret", "S", "--port", String(held.port), "--log-level", "silent"], { timeoutMs: 30_000 });
      expect(emulator.exitCode).toBe(2);
      check("emulator-port-in-use", lastLine(emulator.stderr));
    } finally {
      await held.close();
    }
  });

  describe("token-rejected", () => {
    let service: TestService;
    let operator: RunningOperator;
    let namespace: string;
    beforeAll(async () => {
      service = await startTestService("troubleshooting");
      // A token signed with another secret than the emulator's: what a token of another environment looks like.
      await writeFile(service.tokenFile, mintToken({ secret: "not-the-emulators-secret", tenant: "troubleshooting" }));
      namespace = (await namespacePool("troubleshooting", 1)).names[0]!;
      operator = await startTestOperator(service, ["--namespaces", namespace]);
    });
    afterAll(async () => {
      await operator?.stop();
      await service?.emulator.stop();
    });

    it("a K3Pipeline shows the refusal in its Synced condition", async () => {
      await kubectlOk(["apply", "-f", "-"], {
        input: stringify({
          apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Pipeline", metadata: { name: "refused", namespace },
          spec: { template: { name: "document-chunker" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: {} }] },
        }),
      });
      const synced = await eventually(async () => {
        const condition = conditionOf(await getObject("k3pipeline", namespace, "refused"), "Synced");
        expect(condition?.reason).toBe("Unauthorized");
        return condition!;
      });
      check("token-rejected", `Synced=${synced.status} ${synced.reason}: ${synced.message}`);
    });
  });

  it("crd-missing: the operator against a fresh control plane without the CRDs", async () => {
    const plane = await startControlPlane();
    try {
      const result = await runOperatorProcess(["--kubeconfig", plane.kubeconfigPath, "--metrics-port", "0"]);
      expect(result.exitCode).toBe(2);
      check("crd-missing", lastLine(result.stderr));
    } finally {
      await plane.stop();
    }
  });

  it("apiserver-unreachable and kubeconfig-missing", async () => {
    const port = await closedPort();
    const kubeconfig = join(testCluster().scratchDir, "troubleshooting-unreachable.kubeconfig");
    await writeFile(kubeconfig, (await readFile(testCluster().kubeconfigPath, "utf8")).replace(/server: https:\/\/[^\s]+/, `server: https://127.0.0.1:${port}`));
    const unreachable = await runOperatorProcess(["--kubeconfig", kubeconfig, "--metrics-port", "0"]);
    expect(unreachable.exitCode).toBe(2);
    check("apiserver-unreachable", lastLine(unreachable.stderr));
    const missing = await runOperatorProcess(["--kubeconfig", join(testCluster().scratchDir, "no-such.kubeconfig")]);
    expect(missing.exitCode).toBe(2);
    check("kubeconfig-missing", lastLine(missing.stderr));
  });

  it("bad-flag-value", async () => {
    const result = await runOperatorProcess(["--workers", "lots"]);
    expect(result.exitCode).toBe(2);
    check("bad-flag-value", lastLine(result.stderr));
  });

  it("documents no message that is not checked here", () => {
    expect([...printed.keys()].sort()).toEqual([...documented.keys()].sort());
  });
});
