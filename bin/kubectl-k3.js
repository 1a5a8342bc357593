#!/usr/bin/env node
// Launcher of the kubectl-k3 plugin (kubectl finds it on PATH as `kubectl k3`): registers tsx so
// the TypeScript sources run as they are (no build step), then hands over to src/cli/main.ts.
// A too-old Node (the first `node` on PATH) would otherwise die inside client-node's HTTP stack.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`error: kubectl-k3 needs Node.js 22.19 or newer, but the first node on PATH is ${process.version}; put Node 24 first on PATH (e.g. the one this package installs: node_modules/.bin)\n`);
  process.exit(2);
}
const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
