// Builds etcd, kube-apiserver, kubectl and helm from the Go module proxy with the machine's
// Go toolchain, into the cache folder, once per pinned version (DESIGN §3, §4); on request
// also kube-controller-manager, kube-scheduler and kubelet from the same wrapper recipe.
import { access, constants, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { runCommand, type CommandResult } from "./exec.js";
import { withFileLock } from "./file-lock.js";
import {
  controlPlaneCommands,
  kubernetesVersionLdflags,
  kubernetesWrapper,
  plainWrapper,
  renderGoMod,
  renderToolsGo,
  type WrapperModule,
} from "./go-module.js";
import { binaryPaths, cacheDir, certgenSource, clusterBinaryPaths, versions, type BinaryPaths, type ClusterBinaryPaths } from "./versions.js";

/** Receives one human-readable progress line at a time. */
export type Reporter = (message: string) => void;

/** Options of {@link ensureBinaries}. */
export interface EnsureBinariesOptions {
  /** Defaults to {@link cacheDir}. */
  cache?: string;
  /** Defaults to lines on stderr: a cold build is silent for minutes otherwise. */
  report?: Reporter;
  /** How often a running build step reports its elapsed time. */
  progressIntervalMs?: number;
}

/** The oldest Go that builds the pinned releases (their go.mod files say `go 1.24`). */
export const minimumGo = { major: 1, minor: 24 };

/** The command and the text its output must contain that prove a cached binary is usable. */
interface VersionCheck {
  args: string[];
  expect: string;
}

const kubernetesVersionCheck: VersionCheck = { args: ["--version"], expect: `Kubernetes ${versions.kubernetes}` };

const versionChecks: Record<keyof BinaryPaths, VersionCheck> = {
  etcd: { args: ["--version"], expect: `etcd Version: ${versions.etcd.slice(1)}` },
  kubeApiserver: { args: ["--version"], expect: `Kubernetes ${versions.kubernetes}` },
  kubectl: { args: ["version", "--client"], expect: `Client Version: ${versions.kubernetes}` },
  helm: { args: ["version", "--short"], expect: versions.helm },
  certgen: { args: ["version"], expect: "certgen" },
};

const clusterVersionChecks: Record<keyof ClusterBinaryPaths, VersionCheck> = {
  kubeControllerManager: kubernetesVersionCheck,
  kubeScheduler: kubernetesVersionCheck,
  kubelet: kubernetesVersionCheck,
};

/** The reporter used when none is given: `[control-plane] …` lines on stderr. */
export const stderrReporter: Reporter = (message) => process.stderr.write(`[control-plane] ${message}\n`);

/**
 * Returns the paths of all binaries, building the missing ones first. A second call finds
 * them in the cache and only runs their version commands. Concurrent callers (even in other
 * processes) wait for one build instead of each starting their own.
 */
export async function ensureBinaries(options: EnsureBinariesOptions = {}): Promise<BinaryPaths> {
  const cache = options.cache ?? cacheDir();
  const paths = binaryPaths(cache);
  await ensureBuilt({ ...options, cache, paths, checks: versionChecks, targets: () => buildTargets(cache, paths) });
  return paths;
}

/**
 * Returns the paths of kube-controller-manager, kube-scheduler and kubelet, building them
 * first if missing (a minute or two when the control plane's build left warm Go caches).
 * Nothing else builds them: only a setup that runs controllers or a node needs them.
 */
export async function ensureClusterBinaries(options: EnsureBinariesOptions = {}): Promise<ClusterBinaryPaths> {
  const cache = options.cache ?? cacheDir();
  const paths = clusterBinaryPaths(cache);
  await ensureBuilt({ ...options, cache, paths, checks: clusterVersionChecks, targets: () => clusterBuildTargets(cache, paths) });
  return paths;
}

async function ensureBuilt<P extends { [K in keyof P]: string }>(o: EnsureBinariesOptions & {
  cache: string;
  paths: P;
  checks: Record<keyof P, VersionCheck>;
  targets: () => BuildTarget[];
}): Promise<void> {
  const report = o.report ?? stderrReporter;
  if ((await missingBinaries(o.paths, o.checks)).length === 0) return;

  const go = await requireGo();
  report(`building into ${o.cache} with ${go} (first run only; this takes minutes)`);
  await mkdir(join(o.cache, "logs"), { recursive: true });
  await withFileLock(join(o.cache, "build.lock"), async () => {
    // Another process may have built some of them while we waited for the lock.
    const missing = new Set<string>(await missingBinaries(o.paths, o.checks));
    for (const target of o.targets()) {
      if (!target.binaries.some((binary) => missing.has(binary.key))) continue;
      await withProgress(target.label, report, o.progressIntervalMs ?? 10_000, () => buildTarget(o.cache, target));
    }
  }, { onWait: (pid) => report(`waiting for another build (pid ${pid}) to finish`) });
  const stillMissing = await missingBinaries(o.paths, o.checks);
  if (stillMissing.length > 0) throw new Error(`built binaries do not answer their version command: ${stillMissing.join(", ")}`);
}

/** First line of each binary's version output, for `control-plane build` to print. */
export async function binaryVersions(paths: BinaryPaths): Promise<Record<keyof BinaryPaths, string>> {
  const entries = await Promise.all(
    (Object.keys(versionChecks) as (keyof BinaryPaths)[]).map(async (key) => {
      const result = await runCommand(paths[key], versionChecks[key].args, { timeoutMs: 20_000 });
      return [key, result.stdout.split("\n")[0] ?? ""] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<keyof BinaryPaths, string>;
}

/** Keys of the binaries that are absent or whose version command does not say the pinned version. */
async function missingBinaries<P extends { [K in keyof P]: string }>(paths: P, checks: Record<keyof P, VersionCheck>): Promise<(keyof P & string)[]> {
  const keys = Object.keys(checks) as (keyof P & string)[];
  const ok = await Promise.all(keys.map((key) => answersVersion(paths[key], checks[key])));
  return keys.filter((_, index) => !ok[index]);
}

async function answersVersion(path: string, check: VersionCheck): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    const result = await runCommand(path, check.args, { timeoutMs: 20_000 });
    return result.exitCode === 0 && result.stdout.includes(check.expect);
  } catch {
    return false;
  }
}

/** Resolves with the Go version (e.g. `go1.26.8`), or rejects with what to do instead. */
async function requireGo(): Promise<string> {
  const advice =
    `install Go ${minimumGo.major}.${minimumGo.minor} or newer (https://go.dev/dl/) to build the local control plane ` +
    "(etcd, kube-apiserver, kubectl, helm) once, or run the tests against an existing cluster: " +
    "KUBECONFIG=<path> K3_TEST_USE_EXISTING_CLUSTER=true npm test";
  let result: CommandResult;
  try {
    result = await runCommand("go", ["env", "GOVERSION"]);
  } catch (cause) {
    throw new Error(`Go is not on PATH: ${advice}`, { cause });
  }
  const version = result.stdout.trim();
  const match = /^go(\d+)\.(\d+)/.exec(version);
  const [major, minor] = [Number(match?.[1]), Number(match?.[2])];
  if (result.exitCode !== 0 || !match) throw new Error(`cannot tell the Go version (${result.stderr.trim()}): ${advice}`);
  if (major < minimumGo.major || (major === minimumGo.major && minor < minimumGo.minor)) {
    throw new Error(`Go ${version} is too old: ${advice}`);
  }
  return version;
}

interface BuildTarget {
  label: string;
  /** Final folder of the binaries; written as a whole by renaming a finished temp folder. */
  dir: string;
  /** `key` names the binary in its paths record; `file` is its file name in `dir`. */
  binaries: { key: string; file: string; goPackage: string }[];
  /** Undefined for certgen, which is one standard-library file built on its own. */
  wrapper?: () => Promise<WrapperModule>;
  ldflags: string[];
}

function buildTargets(cache: string, paths: BinaryPaths): BuildTarget[] {
  const buildDate = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const k8sMinor = versions.kubernetes.split(".")[1] ?? "";
  return [
    {
      label: "certificate helper",
      dir: dirname(paths.certgen),
      binaries: [{ key: "certgen", file: basename(paths.certgen), goPackage: certgenSource }],
      ldflags: ["-s", "-w"],
    },
    {
      label: `etcd ${versions.etcd}`,
      dir: dirname(paths.etcd),
      binaries: [{ key: "etcd", file: basename(paths.etcd), goPackage: "go.etcd.io/etcd/server/v3" }],
      wrapper: async () => plainWrapper({
        upstreamGoMod: await upstreamGoMod(cache, "go.etcd.io/etcd/server/v3", versions.etcd),
        module: "go.etcd.io/etcd/server/v3",
        version: versions.etcd,
        imports: ["go.etcd.io/etcd/server/v3"],
      }),
      ldflags: ["-s", "-w"],
    },
    {
      label: `kube-apiserver and kubectl ${versions.kubernetes}`,
      dir: dirname(paths.kubeApiserver),
      binaries: [
        { key: "kubeApiserver", file: basename(paths.kubeApiserver), goPackage: controlPlaneCommands[0] ?? "" },
        { key: "kubectl", file: basename(paths.kubectl), goPackage: controlPlaneCommands[1] ?? "" },
      ],
      wrapper: async () => kubernetesWrapper({
        upstreamGoMod: await upstreamGoMod(cache, "k8s.io/kubernetes", versions.kubernetes),
        version: versions.kubernetes,
        stagingVersion: versions.kubernetesStaging,
      }),
      ldflags: ["-s", "-w", ...kubernetesVersionLdflags(versions.kubernetes, buildDate)],
    },
    {
      label: `helm ${versions.helm}`,
      dir: dirname(paths.helm),
      binaries: [{ key: "helm", file: basename(paths.helm), goPackage: "helm.sh/helm/v3/cmd/helm" }],
      wrapper: async () => plainWrapper({
        upstreamGoMod: await upstreamGoMod(cache, "helm.sh/helm/v3", versions.helm),
        module: "helm.sh/helm/v3",
        version: versions.helm,
        imports: ["helm.sh/helm/v3/cmd/helm"],
      }),
      // What helm's Makefile stamps: its version, and the Kubernetes version its client-go is.
      ldflags: ["-s", "-w", `-X helm.sh/helm/v3/internal/version.version=${versions.helm}`,
        "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
        ...["pkg/lint/rules", "pkg/chartutil"].flatMap((pkg) => [
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`, `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${k8sMinor}`,
        ])],
    },
  ];
}

/** kube-controller-manager, kube-scheduler and kubelet: the Kubernetes wrapper recipe with their commands. */
function clusterBuildTargets(cache: string, paths: ClusterBinaryPaths): BuildTarget[] {
  const buildDate = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const commands: { key: keyof ClusterBinaryPaths; goPackage: string }[] = [
    { key: "kubeControllerManager", goPackage: "k8s.io/kubernetes/cmd/kube-controller-manager" },
    { key: "kubeScheduler", goPackage: "k8s.io/kubernetes/cmd/kube-scheduler" },
    { key: "kubelet", goPackage: "k8s.io/kubernetes/cmd/kubelet" },
  ];
  return [{
    label: `kube-controller-manager, kube-scheduler and kubelet ${versions.kubernetes}`,
    dir: dirname(paths.kubelet),
    binaries: commands.map(({ key, goPackage }) => ({ key, file: basename(paths[key]), goPackage })),
    wrapper: async () => kubernetesWrapper({
      upstreamGoMod: await upstreamGoMod(cache, "k8s.io/kubernetes", versions.kubernetes),
      version: versions.kubernetes,
      stagingVersion: versions.kubernetesStaging,
      imports: commands.map(({ goPackage }) => goPackage),
    }),
    ldflags: ["-s", "-w", ...kubernetesVersionLdflags(versions.kubernetes, buildDate)],
  }];
}

async function buildTarget(cache: string, target: BuildTarget): Promise<void> {
  const name = basename(target.dir);
  const logFile = join(cache, "logs", `${name}.log`);
  const tmpDir = `${target.dir}.tmp-${process.pid}`;
  await rm(tmpDir, { recursive: true, force: true });
  let cwd = dirname(certgenSource);
  if (target.wrapper) {
    // The wrapper module lives in the cache, never in the repository; go.sum is kept between runs.
    cwd = join(cache, "src", name);
    await mkdir(cwd, { recursive: true });
    const wrapper = await target.wrapper();
    await writeFile(join(cwd, "go.mod"), renderGoMod(wrapper));
    await writeFile(join(cwd, "tools.go"), renderToolsGo(wrapper));
    await runGo(["mod", "tidy"], cwd, logFile);
  }
  for (const binary of target.binaries) {
    const output = join(tmpDir, binary.file);
    await runGo(["build", "-ldflags", target.ldflags.join(" "), "-o", output, binary.goPackage], cwd, logFile);
  }
  await rm(target.dir, { recursive: true, force: true });
  await rename(tmpDir, target.dir);
}

/** Runs go with the build settings of DESIGN §4; output is appended to `logFile`. */
async function runGo(args: string[], cwd: string, logFile: string): Promise<CommandResult> {
  // CGO off: static binaries, no C toolchain needed. -mod=mod lets go fill in go.sum.
  // GOWORK off: a go.work above the cache folder must not pull our wrapper into a workspace.
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod", GOWORK: "off" };
  const result = await runCommand("go", args, { cwd, env });
  await writeFile(logFile, `$ go ${args.join(" ")}  (in ${cwd})\n${result.stdout}${result.stderr}\n`, { flag: "a" });
  if (result.exitCode !== 0) {
    const tail = result.stderr.trim().split("\n").slice(-30).join("\n");
    throw new Error(`go ${args[0]} failed in ${cwd} (full log: ${logFile}):\n${tail}`);
  }
  return result;
}

/** The text of `module@version`'s go.mod, downloaded through the Go module proxy if needed. */
async function upstreamGoMod(cache: string, module: string, version: string): Promise<string> {
  const result = await runCommand("go", ["mod", "download", "-json", `${module}@${version}`], {
    cwd: cache,
    env: { ...process.env, GOFLAGS: "", GOWORK: "off" },
  });
  const info = JSON.parse(result.stdout || "{}") as { GoMod?: string; Error?: string };
  if (result.exitCode !== 0 || !info.GoMod) {
    throw new Error(`cannot download ${module}@${version}: ${info.Error ?? result.stderr.trim()}`);
  }
  return readFile(info.GoMod, "utf8");
}

/** Runs `step`, reporting its start, its elapsed time every `intervalMs`, and its end. */
async function withProgress<T>(label: string, report: Reporter, intervalMs: number, step: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const seconds = (): string => `${Math.round((Date.now() - started) / 1000)} s`;
  report(`building ${label} ...`);
  const timer = setInterval(() => report(`building ${label}: ${seconds()}`), intervalMs);
  try {
    const result = await step();
    report(`built ${label} in ${seconds()}`);
    return result;
  } finally {
    clearInterval(timer);
  }
}
