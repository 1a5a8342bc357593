// Building the project's Dockerfile for the e2e scripts (image and cluster): the offline base
// as NODE_IMAGE, the host's CA certificates as the `extra-ca` build secret, host network.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DockerEngine } from "./docker-engine.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The CA certificates handed to the build as the `extra-ca` secret: NODE_EXTRA_CA_CERTS (where
 * a TLS-intercepting proxy's CA is configured for Node), else the host's bundle, which holds it too.
 */
export function extraCaFile(env: NodeJS.ProcessEnv): string | undefined {
  return [env.NODE_EXTRA_CA_CERTS, env.SSL_CERT_FILE, "/etc/ssl/certs/ca-certificates.crt"].find((file) => file && existsSync(file));
}

/** Builds one target of the repository's Dockerfile; says how long it took and whether `npm ci` came from the layer cache. */
export async function buildImage(o: { engine: DockerEngine; target: "operator" | "emulator"; tag: string; base: string; extraCa?: string; noCache: boolean }): Promise<{ seconds: number; npmCiCached: boolean }> {
  const started = Date.now();
  const args = ["build", "--network", "host", "--target", o.target, "--build-arg", `NODE_IMAGE=${o.base}`, "--tag", o.tag, "--progress", "plain"];
  if (o.extraCa) args.push("--secret", `id=extra-ca,src=${o.extraCa}`);
  if (o.noCache) args.push("--no-cache");
  const result = await o.engine.run([...args, root], { timeoutMs: 900_000 });
  if (result.exitCode !== 0) throw new Error(`docker build --target ${o.target} failed:\n${result.stderr.trim().split("\n").slice(-40).join("\n")}`);
  // BuildKit's plain progress: "#7 [deps 4/4] RUN ... npm ci ..." then "#7 CACHED" when reused.
  const step = /^#(\d+) \[deps [^\]]*\] RUN .*npm ci/m.exec(result.stderr)?.[1];
  const npmCiCached = step !== undefined && new RegExp(`^#${step} CACHED`, "m").test(result.stderr);
  return { seconds: (Date.now() - started) / 1000, npmCiCached };
}
