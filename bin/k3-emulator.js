#!/usr/bin/env node
// Launcher of the k3-emulator command: registers tsx so the TypeScript sources run as they
// are (no build step), then hands over to src/emulator/cli.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/emulator/cli.ts");
process.exitCode = await main(process.argv.slice(2));
