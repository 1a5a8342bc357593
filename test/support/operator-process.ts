// The operator as `npm start` runs it (tsx src/main.ts), as a child process: for tests of what
// a user sees at start — exit codes, the one-line refusals, --help.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { runCommand, type CommandResult } from "../../src/controlplane/exec.js";

/** Runs `tsx src/main.ts ...args` to its end (killed after `timeoutMs`); env replaces KUBECONFIG & co. */
export function runOperatorProcess(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env = { ...process.env, KUBECONFIG: "", ...options.env };
  return runCommand(process.execPath, ["--import", "tsx", "src/main.ts", ...args], { env, timeoutMs: options.timeoutMs ?? 30_000 });
}

/** A TCP port held by this process until `close()`, to provoke "port in use". */
export async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A loopback port nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const held = await holdPort();
  await held.close();
  return held.port;
}

/** Starts the operator process and resolves once `line` appears in its stdout; `stop()` sends SIGTERM and resolves with the exit code. */
export async function startOperatorProcess(args: readonly string[], readyLine: RegExp): Promise<{ output: () => string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", ...args], { env: { ...process.env, KUBECONFIG: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const deadline = Date.now() + 30_000;
  while (!readyLine.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the operator did not print ${readyLine} (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const [code] = await exited;
      return code;
    },
  };
}
