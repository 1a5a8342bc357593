// The operator under test: the emulator standing in for the K3 service, the CRDs installed
// on the test cluster, and the operator itself started in-process against both.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from "../../src/emulator/index.js";
import { K3_RPC_NAMES } from "../../src/emulator/server.js";
import { startOperator, type RunningOperator } from "../../src/operator.js";
import { kubectlOk, namespaceName, testCluster } from "./kube.js";

/** Applies crds/ and waits until every CRD is Established (idempotent; test files share it). */
export async function installCrds(): Promise<void> {
  await kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", "crds/"]);
  await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "-f", "crds/"]);
}

/** An emulator with fast clocks plus a token file for its tenant. */
export interface TestService {
  emulator: EmulatorHandle;
  /** file holding a token of `tenant` */
  tokenFile: string;
  tenant: string;
}

/** Starts an emulator whose runs finish in milliseconds and writes a token for `tenant`. */
export async function startTestService(tenant = "operator-tests", options: EmulatorOptions = {}): Promise<TestService> {
  const emulator = await startEmulator({ timeScale: 0.001, ...options });
  const tokenFile = join(testCluster().scratchDir, `${namespaceName(tenant)}.token`);
  await writeFile(tokenFile, emulator.mintToken({ tenant, ttlSeconds: 24 * 3600 }), { mode: 0o600 });
  return { emulator, tokenFile, tenant };
}

/** Starts the operator in-process on the test cluster, against `service`, with extra flags. */
export async function startTestOperator(service: TestService, flags: string[] = [], logStream?: { write(line: string): void }): Promise<RunningOperator> {
  const config = loadConfig(
    [
      "--kubeconfig", testCluster().kubeconfigPath,
      "--k3-endpoint", service.emulator.address,
      "--k3-insecure",
      "--k3-token-file", service.tokenFile,
      "--metrics-port", "0",
      "--workers", "4",
      ...flags,
    ],
    {},
  );
  const logger = logStream ? pino({ level: "debug" }, logStream) : pino({ level: process.env.K3_TEST_LOG ?? "silent" });
  return startOperator(config, logger);
}

/**
 * Namespaces made up front for one test file, handed out one per test. Operators under test
 * watch only these: objects that earlier files left behind (namespaces never finish deleting
 * without a controller-manager) must not reach them and disturb their call counters.
 */
export async function namespacePool(label: string, size: number): Promise<{ names: string[]; next(): string }> {
  const names = Array.from({ length: size }, (_, i) => namespaceName(`${label}-${i}`));
  for (const name of names) await kubectlOk(["create", "namespace", name]);
  let used = 0;
  return {
    names,
    next() {
      const name = names[used++];
      if (!name) throw new Error(`namespace pool ${label} exhausted (${size})`);
      return name;
    },
  };
}

/** The emulator's non-zero call counts by RPC, for the figures a test prints. */
export function callBreakdown(service: TestService): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const rpc of K3_RPC_NAMES) if (service.emulator.calls.get(rpc) > 0) counts[rpc] = service.emulator.calls.get(rpc);
  return counts;
}

/** Reads an object as JSON with kubectl. */
export async function getObject<T = Record<string, unknown>>(kind: string, namespace: string, name: string): Promise<T> {
  return JSON.parse(await kubectlOk(["get", kind, name, "-n", namespace, "-o", "json"])) as T;
}

/** A condition of an object read with getObject. */
export function conditionOf(obj: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Polls `check` until it stops throwing (assertions inside), for up to `timeoutMs`. */
export function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  return vi.waitFor(check, { timeout: timeoutMs, interval: 100 });
}
