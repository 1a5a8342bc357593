// Builds the kstatus command (test/support/kstatus/main.go) into the cache folder once, with Go
// from the module proxy, and runs it: GitOps health judged by the library Flux uses, not by us.
import { access, constants, copyFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runCommand } from "../../src/controlplane/exec.js";
import { withFileLock } from "../../src/controlplane/file-lock.js";
import { cacheDir } from "../../src/controlplane/versions.js";

/** The pinned sigs.k8s.io/cli-utils release whose kstatus is used. */
export const CLI_UTILS_VERSION = "v0.37.2";

const source = join(import.meta.dirname, "kstatus", "main.go");

function binaryPath(): string {
  return join(cacheDir(), "bin", `kstatus-${CLI_UTILS_VERSION}`, "kstatus");
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

async function go(args: string[], cwd: string): Promise<void> {
  const result = await runCommand("go", args, { cwd, env: { ...process.env, CGO_ENABLED: "0", GOWORK: "off", GOFLAGS: "" }, timeoutMs: 600_000 });
  if (result.exitCode !== 0) throw new Error(`go ${args.join(" ")} failed:\n${result.stderr.trim().split("\n").slice(-15).join("\n")}`);
}

/** The path of the kstatus command, built on first use (about 35 s with a cold module cache). */
export async function ensureKstatus(): Promise<string> {
  const path = binaryPath();
  if (await exists(path)) return path;
  await mkdir(dirname(dirname(path)), { recursive: true });
  await withFileLock(join(cacheDir(), "kstatus.lock"), async () => {
    if (await exists(path)) return;
    const work = `${dirname(path)}.build-${process.pid}`;
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    await copyFile(source, join(work, "main.go"));
    await writeFile(join(work, "go.mod"), "module k3operator.local/kstatus\n\ngo 1.24\n");
    await go(["get", `sigs.k8s.io/cli-utils@${CLI_UTILS_VERSION}`], work);
    await go(["mod", "tidy"], work);
    await go(["build", "-o", "kstatus", "."], work);
    await rm(dirname(path), { recursive: true, force: true });
    await mkdir(dirname(path), { recursive: true });
    await rename(join(work, "kstatus"), path);
    await rm(work, { recursive: true, force: true });
  });
  return path;
}

/** kstatus's verdict on one object. */
export interface KstatusResult {
  status: string;
  message: string;
}

/** Runs kstatus on `obj`. */
export async function kstatusOf(binary: string, obj: unknown): Promise<KstatusResult> {
  const result = await runCommand(binary, [], { input: JSON.stringify(obj), timeoutMs: 20_000 });
  if (result.exitCode !== 0) throw new Error(`kstatus failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as KstatusResult;
}
