// What every scale benchmark stands on: its own control plane with the CRDs installed and the
// emulator in-process with a token for it, each torn down by the benchmark's undo list.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/control-plane.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { startEmulator, type EmulatorHandle } from "../../src/emulator/index.js";
import { createKubeClient, type KubeClient } from "../../src/runtime/index.js";
import type { Cleanups } from "../../scripts/e2e/cleanups.js";
import { log } from "./teardown.js";

/** The control plane, the emulator, a client of the apiserver, and the file holding a token for the emulator. */
export interface BenchServices {
  plane: ControlPlane;
  emulator: EmulatorHandle;
  kube: KubeClient;
  tokenFile: string;
}

/** Runs kubectl against the benchmark's control plane; throws with its stderr when it fails. */
export async function kubectl(plane: ControlPlane, args: string[], timeoutMs = 600_000): Promise<void> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", plane.kubeconfigPath, ...args], { timeoutMs });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.slice(0, 4).join(" ")} failed: ${result.stderr.trim().slice(0, 2000)}`);
}

/** Starts the control plane (CRDs established) and the emulator (`timeScale` 0.001), and writes the token into `scratch`. */
export async function startBenchServices(cleanups: Cleanups, scratch: string): Promise<BenchServices> {
  const plane = await startControlPlane();
  cleanups.add("control plane", () => plane.stop());
  log(`control plane up in ${plane.startupMs} ms`);
  const emulator = await startEmulator({ timeScale: 0.001 });
  cleanups.add("emulator", () => emulator.stop());
  const tokenFile = join(scratch, "k3.token");
  await writeFile(tokenFile, emulator.mintToken({ tenant: "bench", ttlSeconds: 24 * 3600 }), { mode: 0o600 });
  const crds = fileURLToPath(new URL("../../crds/", import.meta.url));
  await kubectl(plane, ["apply", "--server-side", "-f", crds]);
  await kubectl(plane, ["wait", "--for=condition=Established", "--timeout=60s", "-f", crds]);
  return { plane, emulator, kube: createKubeClient({ kubeconfigPath: plane.kubeconfigPath }), tokenFile };
}
