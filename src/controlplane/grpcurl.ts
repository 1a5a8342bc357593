// grpcurl, a reflection client written outside this project, built with Go into the cache
// folder like the control plane's binaries. The emulator's reflection is tested with it:
// a client of our own would share our blind spots (issue 12).
import { access, constants, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stderrReporter, type Reporter } from "./build.js";
import { runCommand } from "./exec.js";
import { withFileLock } from "./file-lock.js";
import { cacheDir } from "./versions.js";

/** The pinned grpcurl release (its go.mod has no replace directives, so `go install` works). */
export const GRPCURL_VERSION = "v1.9.4";

const GRPCURL_PACKAGE = "github.com/fullstorydev/grpcurl/cmd/grpcurl";

/** Where the pinned grpcurl lives (or will live) under `cache`. */
export function grpcurlPath(cache: string = cacheDir()): string {
  return join(cache, "bin", `grpcurl-${GRPCURL_VERSION}`, "grpcurl");
}

async function usable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    const result = await runCommand(path, ["-version"], { timeoutMs: 20_000 });
    // grpcurl prints its version on stderr: "grpcurl v1.9.4".
    return `${result.stdout}${result.stderr}`.includes(GRPCURL_VERSION);
  } catch {
    return false;
  }
}

/**
 * Returns the path of the pinned grpcurl, building it with `go install` first when the cache
 * lacks it. Concurrent callers wait for one build (a lock of its own, so it
 * does not queue behind a control-plane build).
 */
export async function ensureGrpcurl(options: { cache?: string; report?: Reporter } = {}): Promise<string> {
  const cache = options.cache ?? cacheDir();
  const report = options.report ?? stderrReporter;
  const path = grpcurlPath(cache);
  if (await usable(path)) return path;
  await mkdir(join(cache, "logs"), { recursive: true });
  await withFileLock(join(cache, "grpcurl.lock"), async () => {
    if (await usable(path)) return;
    const started = Date.now();
    report(`building grpcurl ${GRPCURL_VERSION} with Go (first run only) ...`);
    const tmpDir = `${dirname(path)}.tmp-${process.pid}`;
    await rm(tmpDir, { recursive: true, force: true });
    // GOBIN receives the binary; CGO off for a static build; GOWORK/GOFLAGS must not leak in.
    const env = { ...process.env, CGO_ENABLED: "0", GOBIN: tmpDir, GOWORK: "off", GOFLAGS: "" };
    let result;
    try {
      result = await runCommand("go", ["install", "-ldflags", `-s -w -X main.version=${GRPCURL_VERSION}`, `${GRPCURL_PACKAGE}@${GRPCURL_VERSION}`], { cwd: cache, env });
    } catch (cause) {
      throw new Error("Go is not on PATH: install Go 1.24 or newer to build grpcurl (used by the emulator's reflection test)", { cause });
    }
    const logFile = join(cache, "logs", `grpcurl-${GRPCURL_VERSION}.log`);
    await writeFile(logFile, `$ go install ${GRPCURL_PACKAGE}@${GRPCURL_VERSION}\n${result.stdout}${result.stderr}\n`, { flag: "a" });
    if (result.exitCode !== 0) throw new Error(`go install of grpcurl failed (full log: ${logFile}):\n${result.stderr.trim().split("\n").slice(-20).join("\n")}`);
    await rm(dirname(path), { recursive: true, force: true });
    await rename(tmpDir, dirname(path));
    report(`built grpcurl ${GRPCURL_VERSION} in ${Math.round((Date.now() - started) / 1000)} s`);
  }, { onWait: (pid) => report(`waiting for another build (pid ${pid}) to finish`) });
  if (!(await usable(path))) throw new Error(`the built grpcurl at ${path} does not answer -version with ${GRPCURL_VERSION}`);
  return path;
}
