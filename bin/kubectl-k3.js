#!/usr/bin/env node
// Launcher of the kubectl-k3 plugin (kubectl finds it on PATH as `kubectl k3`): registers tsx so
// the TypeScript sources run as they are (no build step), then hands over to src/cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
