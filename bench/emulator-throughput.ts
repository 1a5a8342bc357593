// Emulator throughput: CreatePipeline + GetPipeline pairs per second from one client with a
// fixed number of pairs in flight, against an emulator in a child process (so that client
// and server do not share one event loop). Prints pairs/s and pair latency p50/p99.
//
//   npm run bench:emulator [-- --seconds 10 --concurrency 16 --in-process]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DestinationType } from "../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { mintToken, startEmulator } from "../src/emulator/index.js";
import { connectTestClient } from "../src/emulator/test-client.js";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, concurrency: { type: "string", default: "16" }, "in-process": { type: "boolean", default: false } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const secret = "bench-secret";

/** Starts the emulator in a child process and returns its address and a stopper. */
async function startChild(): Promise<{ address: string; stop: () => Promise<void> }> {
  const launcher = fileURLToPath(new URL("../bin/k3-emulator.js", import.meta.url));
  const child = spawn(process.execPath, [launcher, "serve", "--secret", secret, "--port", "0", "--log-level", "warn"], { stdio: ["ignore", "pipe", "inherit"] });
  let buffered = "";
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /listening on (\S+)/.exec(buffered);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`emulator exited early with code ${String(code)}`)));
  });
  return {
    address,
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

async function main(): Promise<void> {
  const server = values["in-process"]
    ? await startEmulator({ secret }).then((h) => ({ address: h.address, stop: () => h.stop() }))
    : await startChild();
  const k3 = connectTestClient({ address: server.address, token: mintToken({ secret, tenant: "bench", ttlSeconds: 3600 }) });
  let counter = 0;
  const latencies: number[] = [];
  const pair = async (): Promise<void> => {
    const n = counter++;
    const started = performance.now();
    const { pipeline } = await k3.pipeline.createPipeline({
      requestId: `bench-${n}`,
      pipeline: {
        displayName: `bench-${n}`, labels: { bench: "throughput" }, template: { name: "document-chunker" }, parameters: { chunkSize: 512, overlap: 32 },
        destinations: [{ name: "main", type: DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: { index: "bench" } }],
      },
    });
    await k3.pipeline.getPipeline({ id: pipeline!.id });
    latencies.push(performance.now() - started);
  };
  // Warm up connections and JIT before measuring.
  for (let i = 0; i < 200; i++) await pair();
  latencies.length = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) await pair();
  }));
  const elapsed = (performance.now() - started) / 1000;
  k3.close();
  await server.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2);
  console.log(JSON.stringify({
    server: values["in-process"] ? "in-process" : "child process",
    concurrency, seconds: Number(elapsed.toFixed(2)), pairs: latencies.length,
    pairsPerSecond: Math.round(latencies.length / elapsed), p50Ms: Number(pct(0.5)), p99Ms: Number(pct(0.99)),
  }));
}

await main();
