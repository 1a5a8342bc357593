// The cluster e2e's ways to the apiserver, as a user's: the cached kubectl and helm, and for
// frequent reads (the Lease, every 250 ms) a plain HTTPS GET with the admin certificate.
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { helmPath, kubectlPath } from "../../../src/controlplane/binaries.js";
import { runCommand } from "../../../src/controlplane/exec.js";

/** Runs kubectl against `kubeconfig`; rejects with its stderr on a non-zero exit. */
export async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 180_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Runs kubectl and resolves with its exit code and output, whatever they are (for refusals the e2e expects). */
export async function kubectlResult(kubeconfig: string, args: readonly string[], input?: string): Promise<{ exitCode: number | null; output: string }> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 180_000 });
  return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
}

/** Runs the cached helm against `kubeconfig`; rejects with its output on a non-zero exit. */
export async function helm(kubeconfig: string, args: readonly string[]): Promise<string> {
  const result = await runCommand(helmPath(), ["--kubeconfig", kubeconfig, ...args], { timeoutMs: 600_000 });
  if (result.exitCode !== 0) throw new Error(`helm ${args.join(" ")} failed (${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** GETs and watches apiserver paths as the admin, without a kubectl process per read. */
export interface ApiReader {
  /** The parsed body, or undefined on 404. */
  get<T>(path: string): Promise<T | undefined>;
  /**
   * Watches `path` (a list path with `watch=true` added), calling `onObject` with every event's
   * object as it arrives (the current state first); `stop` ends it and resolves with the error
   * that ended it early, if any (a watch that broke would have missed events).
   */
  watch<T>(path: string, onObject: (object: T) => void): { stop(): Promise<Error | undefined> };
}

/** An {@link ApiReader} for the control plane at `server` with the admin certificate in `pkiDir`. */
export async function apiReader(server: string, pkiDir: string): Promise<ApiReader> {
  const [ca, cert, key] = await Promise.all(["ca.crt", "admin.crt", "admin.key"].map((file) => readFile(join(pkiDir, file))));
  return {
    get: <T>(path: string) => new Promise<T | undefined>((resolve, reject) => {
      const req = request(`${server}${path}`, { ca, cert, key, timeout: 5_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200) return reject(new Error(`GET ${path}: ${res.statusCode}`));
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as T);
        });
      });
      req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
      req.on("error", reject);
      req.end();
    }),
    watch: <T>(path: string, onObject: (object: T) => void) => {
      let failure: Error | undefined;
      let stopped = false;
      let ended: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (ended = resolve));
      const separator = path.includes("?") ? "&" : "?";
      const req = request(`${server}${path}${separator}watch=true`, { ca, cert, key }, (res) => {
        if (res.statusCode !== 200) failure = new Error(`watch ${path}: ${res.statusCode}`);
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim() === "") continue;
            const event = JSON.parse(line) as { type: string; object: T };
            if (event.type === "ERROR") failure = new Error(`watch ${path}: ${JSON.stringify(event.object)}`);
            else onObject(event.object);
          }
        });
        res.on("end", () => {
          if (!stopped) failure ??= new Error(`watch ${path} ended early`);
          ended();
        });
        res.on("error", () => ended());
      });
      req.on("error", (error) => {
        if (!stopped) failure ??= error;
        ended();
      });
      req.end();
      return {
        stop: async () => {
          stopped = true;
          req.destroy();
          await done;
          return failure;
        },
      };
    },
  };
}

/** Resolves with the first value `probe` gives (undefined = not yet), polling every `everyMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
