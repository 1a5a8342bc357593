// A Docker engine for the image e2e: the one the user already runs (DOCKER_HOST or the
// default socket), else a dockerd of our own that we start and stop. Ours touches nothing
// of the host's networking (no bridge, no iptables: every container uses the host network,
// which the e2e needs anyway to reach the loopback control plane), keeps its images and
// build cache in the cache folder, and leaves no process behind.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runCommand, type CommandResult, type RunCommandOptions } from "../../src/controlplane/exec.js";
import { onParentExit, runsExecutable, signal, startProcess, stopProcess } from "../../src/controlplane/processes.js";

/** A reachable Docker engine and a way to run its CLI against it. */
export interface DockerEngine {
  /** The `DOCKER_HOST` the CLI talks to. */
  host: string;
  /** The docker CLI used (see {@link dockerCli}). */
  cli: string;
  /** True when this process started the engine (and {@link DockerEngine.stop} stops it). */
  ours: boolean;
  /** Runs `docker <args>`; resolves with the result, whatever the exit code. */
  run(args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /** Runs `docker <args>` and resolves with stdout; rejects with stderr on a non-zero exit. */
  ok(args: readonly string[], options?: RunCommandOptions): Promise<string>;
  /** Stops the engine if it is ours (its containers first); a no-op for the user's. */
  stop(): Promise<void>;
}

/** Options of {@link startDockerEngine}. */
export interface DockerEngineOptions {
  /** Folder for our dockerd's images, layers and build cache (kept between runs). */
  dataRoot: string;
  /** Folder for its sockets and runtime state; short (unix socket paths are limited), emptied on stop. */
  execRoot: string;
  /** Log of our dockerd. */
  logFile: string;
  report: (message: string) => void;
}

const defaultSocket = "/var/run/docker.sock";
/** dockerd stops its containers (10 s each at most) and its containerd before it exits. */
const dockerdStopMs = 45_000;

/**
 * The docker CLI to use: `$K3_DOCKER_CLI`, else Debian's (`/usr/bin/docker`, whose client has
 * BuildKit built in, which `--secret` needs; newer clients need the separate buildx plugin),
 * else `docker` on PATH.
 */
export function dockerCli(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K3_DOCKER_CLI) return env.K3_DOCKER_CLI;
  try {
    accessSync("/usr/bin/docker", constants.X_OK);
    return "/usr/bin/docker";
  } catch {
    return "docker";
  }
}

function cliRunner(host: string): Pick<DockerEngine, "cli" | "run" | "ok"> {
  const cli = dockerCli();
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "1" };
  const run = (args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> =>
    runCommand(cli, args, { timeoutMs: 600_000, ...options, env: { ...env, ...options.env } });
  const ok = async (args: readonly string[], options: RunCommandOptions = {}): Promise<string> => {
    const result = await run(args, options);
    if (result.exitCode !== 0) throw new Error(`docker ${args.join(" ")} failed (${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
    return result.stdout;
  };
  return { cli, run, ok };
}

async function answers(host: string): Promise<boolean> {
  const result = await cliRunner(host).run(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 15_000 }).catch(() => undefined);
  return result?.exitCode === 0;
}

/**
 * Uses the user's engine when one answers (DOCKER_HOST, else the default socket); otherwise
 * starts `dockerd` (it must be installed: Debian's docker.io) and resolves once it answers.
 * The caller holds a lock on `dataRoot`: one dockerd per data root.
 */
export async function startDockerEngine(options: DockerEngineOptions): Promise<DockerEngine> {
  const existing = process.env.DOCKER_HOST || (existsSync(defaultSocket) ? `unix://${defaultSocket}` : "");
  if (existing && (await answers(existing))) {
    options.report(`using the running Docker engine at ${existing}`);
    return { host: existing, ours: false, ...cliRunner(existing), stop: () => Promise.resolve() };
  }
  return startOwnDockerd(options);
}

async function startOwnDockerd(options: DockerEngineOptions): Promise<DockerEngine> {
  const pidFile = join(options.dataRoot, "..", "dockerd.pid");
  // What a run killed before it could stop its dockerd left: the dockerd, its processes, its mounts.
  await stopLeftoverDockerd(pidFile, options);
  await mkdir(options.execRoot, { recursive: true });
  await mkdir(options.dataRoot, { recursive: true });
  const host = `unix://${join(options.execRoot, "docker.sock")}`;
  await writeFile(options.logFile, ""); // this run's log only
  const started = Date.now();
  const child = startProcess({
    command: "dockerd",
    args: [
      `--data-root=${options.dataRoot}`,
      `--exec-root=${options.execRoot}`,
      `--pidfile=${pidFile}`,
      `--host=${host}`,
      // No bridge, no NAT rules, no userland proxies: the host's network stays as it was.
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
      "--userland-proxy=false",
    ],
    logFile: options.logFile,
    detached: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("cannot start dockerd (is Debian's docker.io installed?)");
  let exitCode: number | null | undefined;
  child.on("exit", (code) => (exitCode = code));
  const forgetExitCleanup = onParentExit(() => killTree(pid, options.execRoot));
  const engine: DockerEngine = {
    host,
    ours: true,
    ...cliRunner(host),
    stop: async () => {
      forgetExitCleanup();
      await stopDockerd(pid, options);
    },
  };
  for (;;) {
    if (await answers(host)) break;
    if (exitCode !== undefined) throw new Error(`dockerd exited with code ${exitCode} during start; log: ${options.logFile}\n${tail(options.logFile)}`);
    if (Date.now() - started > 60_000) {
      await engine.stop();
      throw new Error(`dockerd did not answer within 60 s; log: ${options.logFile}\n${tail(options.logFile)}`);
    }
    await sleep(200);
  }
  options.report(`dockerd started (pid ${pid}, ${((Date.now() - started) / 1000).toFixed(1)} s; data ${options.dataRoot}; log ${options.logFile})`);
  return engine;
}

/** A dockerd of an earlier run that was killed before it could stop its own. */
async function stopLeftoverDockerd(pidFile: string, options: DockerEngineOptions): Promise<void> {
  let pid = Number.NaN;
  try {
    pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  } catch {
    // none recorded: still clean the exec root below
  }
  const dockerd = processesUnder(options.execRoot, ["dockerd"]).includes(pid) || commandOf(pid)?.endsWith("dockerd") === true;
  if (Number.isInteger(pid) && dockerd) options.report(`stopping the dockerd (pid ${pid}) an earlier run left behind`);
  await stopDockerd(dockerd ? pid : undefined, options);
  await rm(pidFile, { force: true });
}

async function stopDockerd(pid: number | undefined, options: Pick<DockerEngineOptions, "execRoot" | "dataRoot" | "report">): Promise<void> {
  const executable = pid === undefined ? undefined : commandOf(pid);
  if (pid !== undefined && executable !== undefined && runsExecutable(pid, executable)) await stopProcess(pid, dockerdStopMs);
  // dockerd stops its containerd and shims itself; whatever still runs from our exec root
  // (after a SIGKILL) is ours to end.
  for (const leftover of processesUnder(options.execRoot)) {
    options.report(`stopping leftover pid ${leftover} (${commandOf(leftover) ?? "?"})`);
    await stopProcess(leftover, 5_000);
  }
  // dockerd leaves the bind mount of the host's network namespace (exec-root/netns/default)
  // mounted when it exits; and a killed one leaves its containers' mounts.
  for (const mountPoint of mountsUnder([options.execRoot, options.dataRoot])) {
    const result = await runCommand("umount", [mountPoint]);
    if (result.exitCode !== 0) options.report(`cannot unmount ${mountPoint}: ${result.stderr.trim()}`);
  }
  await rm(options.execRoot, { recursive: true, force: true });
}

/** Mount points at or below any of `dirs`, deepest first (the order to unmount them in). */
export function mountsUnder(dirs: readonly string[], mountinfo: string = readMountinfo()): string[] {
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))))
    .filter((point) => dirs.some((dir) => point === dir || point.startsWith(`${dir}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function readMountinfo(): string {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return "";
  }
}

/** Synchronous last resort while this process exits: SIGKILL dockerd and what runs from its exec root. */
function killTree(pid: number, execRoot: string): void {
  signal(pid, "SIGKILL");
  for (const leftover of processesUnder(execRoot)) signal(leftover, "SIGKILL");
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
  } catch {
    return undefined;
  }
}

/**
 * Pids of processes whose command line names `execRoot` (dockerd, its containerd and the
 * container shims all get paths below it), optionally only those whose program is in `names`.
 */
export function processesUnder(execRoot: string, names?: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (!argv.some((arg) => arg.includes(execRoot))) continue;
      if (names && !names.some((name) => argv[0]?.endsWith(name))) continue;
      found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
