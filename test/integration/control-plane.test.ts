// The local control plane itself: a real apiserver of the pinned release, RBAC enforced,
// helm usable, and the per-test namespace helper working.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect } from "vitest";
import { join } from "node:path";
import { helmPath } from "../../src/controlplane/binaries.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { serviceAccountUser } from "../../src/controlplane/kubeconfig.js";
import { isAlive, signal } from "../../src/controlplane/processes.js";
import { versions } from "../../src/controlplane/versions.js";
import { kubectl, kubectlOk, kubeTest as test, serviceAccountKubeconfig, testCluster, userKubeconfig } from "../support/kube.js";

/** Polls `check` until it returns true; RBAC changes reach the authorizer's cache in milliseconds, not instantly. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

describe("local control plane", () => {
  test("a parent that exits in the middle of a stop leaves no child running", { timeout: 120_000 }, async () => {
    const script = join(import.meta.dirname, "..", "support", "interrupted-stop.ts");
    const run = await runCommand(process.execPath, ["--import", import.meta.resolve("tsx"), script], { timeoutMs: 110_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const children = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { name: string; pid: number }[];
    expect(children.map((c) => c.name).sort()).toEqual(["etcd", "kube-apiserver"]);
    try {
      await sleep(2000);
      expect(children.filter((c) => isAlive(c.pid)).map((c) => c.name)).toEqual([]);
    } finally {
      for (const c of children) if (isAlive(c.pid)) signal(c.pid, "SIGKILL"); // only if the assertion failed: they are ours
    }
  });

  test("the apiserver answers /readyz", async () => {
    expect((await kubectlOk(["get", "--raw", "/readyz"])).trim()).toBe("ok");
  });

  test("kubectl and the apiserver are both the pinned release", async () => {
    const reported = JSON.parse(await kubectlOk(["version", "-o", "json"])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(reported.clientVersion.gitVersion).toBe(versions.kubernetes);
    if (testCluster().access) expect(reported.serverVersion.gitVersion).toBe(versions.kubernetes);
    else expect(reported.serverVersion.gitVersion).toMatch(/^v1\.\d+/);
  });

  test("helm runs and is a v3 release", async () => {
    const result = await runCommand(helmPath(), ["version", "--short"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^v3\.\d+\.\d+/);
  });

  test("RBAC is enforced: a user without bindings is forbidden until bound", async () => {
    const user = `rbac-user-${randomBytes(3).toString("hex")}`;
    const kubeconfig = await userKubeconfig({ user });
    const denied = await kubectl(["get", "namespaces"], { kubeconfig });
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Forbidden|forbidden/);

    // Not the built-in "view": aggregated ClusterRoles stay empty without a controller-manager.
    const role = `${user}-namespace-reader`;
    await kubectlOk(["create", "clusterrole", role, "--verb=get,list", "--resource=namespaces"]);
    await kubectlOk(["create", "clusterrolebinding", role, `--clusterrole=${role}`, `--user=${user}`]);
    try {
      expect(await eventually(async () => (await kubectl(["get", "namespaces"], { kubeconfig })).exitCode === 0)).toBe(true);
    } finally {
      await kubectl(["delete", "clusterrolebinding,clusterrole", role]);
    }
  });

  test("a namespace of its own exists for each test", async ({ namespace }) => {
    expect(namespace).toMatch(/^t-[a-z0-9-]+$/);
    const phase = await kubectlOk(["get", "namespace", namespace, "-o", "jsonpath={.status.phase}"]);
    expect(phase).toBe("Active");
    await kubectlOk(["create", "configmap", "probe", "-n", namespace, "--from-literal=a=b"]);
    expect(await kubectlOk(["get", "configmap", "probe", "-n", namespace, "-o", "jsonpath={.data.a}"])).toBe("b");
  });

  test("a ServiceAccount is held to its own RBAC, by token and by client certificate", async ({ namespace }) => {
    await kubectlOk(["create", "serviceaccount", "operator", "-n", namespace]);
    const identity = serviceAccountUser(namespace, "operator");
    const viaToken = await serviceAccountKubeconfig({ namespace, name: "operator" });
    const viaCertificate = await userKubeconfig(identity);
    const canList = async (kubeconfig: string): Promise<boolean> =>
      (await kubectl(["get", "configmaps", "-n", namespace], { kubeconfig })).exitCode === 0;

    expect(await canList(viaToken)).toBe(false);
    expect(await canList(viaCertificate)).toBe(false);
    await kubectlOk(["create", "role", "configmap-reader", "-n", namespace, "--verb=list", "--resource=configmaps"]);
    await kubectlOk(["create", "rolebinding", "operator", "-n", namespace, "--role=configmap-reader", `--serviceaccount=${namespace}:operator`]);
    expect(await eventually(() => canList(viaToken))).toBe(true);
    expect(await eventually(() => canList(viaCertificate))).toBe(true);
    const whoami = JSON.parse(await kubectlOk(["auth", "whoami", "-o", "json"], { kubeconfig: viaCertificate })) as {
      status: { userInfo: { username: string } };
    };
    expect(whoami.status.userInfo.username).toBe(identity.user);
  });

  test("the kubeconfig is also exported to child processes", () => {
    expect(process.env.KUBECONFIG_K3_TEST).toBe(testCluster().kubeconfigPath);
  });
});
