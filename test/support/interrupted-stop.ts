// Run as a child by the control-plane test: starts a control plane, prints its pids, begins its
// stop and exits 100 ms later, before that stop can finish — as a second Ctrl-C does.
import { startControlPlane } from "../../src/controlplane/control-plane.js";

const plane = await startControlPlane({ report: () => undefined });
process.stdout.write(`${JSON.stringify(plane.processes.map(({ name, pid }) => ({ name, pid })))}\n`);
void plane.stop();
setTimeout(() => process.exit(0), 100);
