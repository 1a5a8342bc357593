// `npm run control-plane -- <build|up|down|status>`: the local control plane by hand.
// `build --cluster` also builds kube-controller-manager, kube-scheduler and kubelet;
// `up --controllers` also runs kube-controller-manager (namespace deletion, garbage collection);
// `up --nodes` makes it a cluster kubelets can join (scheduler, Node authorizer; see control-plane.ts).
// `up` leaves etcd and kube-apiserver running in the background and prints the kubeconfig
// path on stdout (so `export KUBECONFIG=$(npm run -s control-plane -- up)` works); all other
// messages go to stderr.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { binaryVersions, ensureBinaries, ensureClusterBinaries, stderrReporter as say } from "./build.js";
import {
  isControlPlaneReady,
  reapStaleControlPlanes,
  readControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from "./control-plane.js";
import { versions } from "./versions.js";

const localDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../.local");
const stateFile = join(localDir, "control-plane.json");
const kubeconfigPath = join(localDir, "kubeconfig");

const commands: Record<string, () => Promise<void>> = {
  async build() {
    const paths = await ensureBinaries();
    const found = await binaryVersions(paths);
    for (const key of Object.keys(paths) as (keyof typeof paths)[]) {
      process.stdout.write(`${key.padEnd(14)} ${found[key].padEnd(24)} ${paths[key]}\n`);
    }
    if (process.argv.includes("--cluster")) {
      const cluster = await ensureClusterBinaries();
      for (const [key, path] of Object.entries(cluster)) process.stdout.write(`${key.padEnd(22)} ${path}\n`);
    }
    say(`pinned: Kubernetes ${versions.kubernetes}, etcd ${versions.etcd}, helm ${versions.helm}`);
  },

  async up() {
    const existing = await readControlPlaneState(stateFile);
    if (existing && (await isControlPlaneReady(existing))) {
      say(`already running at ${existing.server}`);
      process.stdout.write(`${existing.kubeconfigPath}\n`);
      return;
    }
    if (existing) await stopControlPlane(existing); // half-dead leftovers of an earlier `up`
    const plane = await startControlPlane({ detached: true, stateFile, kubeconfigPath, controllers: process.argv.includes("--controllers"), nodes: process.argv.includes("--nodes") });
    say(`logs: ${plane.dir}/{etcd,kube-apiserver}.log; stop with: npm run control-plane -- down`);
    say(`use it with: export KUBECONFIG=${plane.kubeconfigPath}`);
    process.stdout.write(`${plane.kubeconfigPath}\n`);
  },

  async down() {
    const existing = await readControlPlaneState(stateFile);
    if (existing) await stopControlPlane(existing);
    const stale = await reapStaleControlPlanes();
    say(existing ? `stopped the control plane at ${existing.server}` : "no control plane was running");
    if (stale > 0) say(`also stopped ${stale} control plane(s) left behind by test runs that died`);
  },

  async status() {
    const existing = await readControlPlaneState(stateFile);
    if (!existing) {
      say("not running (start it with: npm run control-plane -- up)");
      process.exitCode = 1;
      return;
    }
    const ready = await isControlPlaneReady(existing);
    say(`${ready ? "running" : "NOT READY"} at ${existing.server}; kubeconfig ${existing.kubeconfigPath}`);
    for (const { name, pid } of existing.processes) say(`  ${name} pid ${pid}, log ${existing.dir}/${name}.log`);
    if (!ready) process.exitCode = 1;
  },
};

const name = process.argv[2] ?? "";
const command = commands[name];
if (!command) {
  say(`usage: npm run control-plane -- <${Object.keys(commands).join("|")}>`);
  process.exitCode = 2;
} else {
  command().catch((error: unknown) => {
    say(error instanceof Error ? `${error.message}${causeText(error)}` : String(error));
    process.exitCode = 1;
  });
}

function causeText(error: Error): string {
  return error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : "";
}
