// The chaos run (issue 9), as `npm run chaos`: see bench/support/chaos.ts for the scenario.
// Prints a table of figures and writes them as JSON; exits 1 unless the end state held with
// 0 duplicates, 0 orphans, 0 stuck finalizers and no secret value in any log or Event.
//
//   npm run chaos [-- --objects 1000 --leader-kills 3 --apiserver-restarts 1 --error-rate 0.1
//                     --lost-answer-rate 0.01 --latency 20ms --k3-qps 50 --timeout 10m --out FILE]
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseDuration } from "../src/config.js";
import { chaosTable, runChaos } from "./support/chaos.js";

const { values: opts } = parseArgs({
  options: {
    objects: { type: "string", default: "1000" },
    "leader-kills": { type: "string", default: "3" },
    "apiserver-restarts": { type: "string", default: "1" },
    "error-rate": { type: "string", default: "0.1" },
    "lost-answer-rate": { type: "string", default: "0.01" },
    latency: { type: "string", default: "20ms" },
    "k3-qps": { type: "string", default: "50" },
    timeout: { type: "string", default: "10m" },
    out: { type: "string", default: fileURLToPath(new URL("results/chaos.json", import.meta.url)) },
  },
});

const logDir = await mkdtemp(join(tmpdir(), "k3-chaos-"));
console.log(`operator logs: ${logDir}`);
const result = await runChaos({
  objects: Number(opts.objects),
  leaderKills: Number(opts["leader-kills"]),
  apiserverRestarts: Number(opts["apiserver-restarts"]),
  errorRate: Number(opts["error-rate"]),
  lostAnswerRate: Number(opts["lost-answer-rate"]),
  latencyMs: parseDuration(opts.latency),
  k3Qps: Number(opts["k3-qps"]),
  convergeTimeoutMs: parseDuration(opts.timeout),
  logDir,
  report: (line) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`),
});

const rows = chaosTable(result);
const width = Math.max(...rows.map(([k]) => k.length));
console.log("");
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
for (const p of result.problems) console.log(`  problem: ${p}`);
await mkdir(dirname(opts.out), { recursive: true });
const machine = { cpus: cpus().length, loadavg1m: Math.round(loadavg()[0]! * 100) / 100 };
await writeFile(opts.out, `${JSON.stringify({ date: new Date().toISOString(), machine, ...result }, null, 2)}\n`);
console.log(`\nwrote ${opts.out}`);
const pass = result.converged && result.duplicates + result.orphans + result.missing + result.stuckFinalizers + result.notReady + result.leakedSecrets === 0;
process.exit(pass ? 0 : 1);
