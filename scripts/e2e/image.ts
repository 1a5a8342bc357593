// `npm run e2e:image`: the operator's image, built and run for real. Makes the Dockerfile's
// base offline (scripts/e2e/base-image.ts), builds the project's own Dockerfile with only a
// build argument changed, checks what the images hold, then runs the production image as the
// chart's Deployment says (user, read-only root, no capabilities, no privilege escalation,
// Secret token file, in-cluster ServiceAccount token, memory limit; host network to reach the
// loopback control plane) against a real kube-apiserver and the emulator image. The examples
// of every kind with a controller must reach Ready, the probes and /metrics answer, SIGTERM
// ends the container with exit 0 and the Lease released. Prints (and with --out writes) the
// figures: build times, image sizes, memory idle and after the examples.
// Uses the Docker engine that runs, else starts dockerd itself (root) and stops it at the end.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { startControlPlane } from "../../src/controlplane/control-plane.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { withFileLock } from "../../src/controlplane/file-lock.js";
import { helmTemplate } from "../../src/controlplane/helm.js";
import { freePorts } from "../../src/controlplane/ports.js";
import { cacheDir } from "../../src/controlplane/versions.js";
import { mintToken } from "../../src/emulator/auth.js";
import { loadExamples, readyKinds, selectExamples, toYamlStream } from "../local/examples.js";
import { notReady, type ListedObject } from "../local/status.js";
import { ensureBaseImage } from "./base-image.js";
import { buildImage as build, extraCaFile } from "./build-image.js";
import { Cleanups } from "./cleanups.js";
import { planContainer, type ContainerPlan, type DeploymentSpec } from "./chart-pod.js";
import { processesUnder, startDockerEngine, type DockerEngine } from "./docker-engine.js";
import { checkImageFiles, type ImageFileRules } from "./image-files.js";
import { metricValue, statsBytes } from "./measure.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const chartDir = join(root, "deploy/helm/k3-operator");
const release = "k3-operator";
const operatorNamespace = "k3-system";
const examplesNamespace = "e2e";
const tenant = "e2e";
const operatorImage = "k3-operator:e2e";
const emulatorImage = "k3-operator-emulator:e2e";
const readyTimeoutMs = 180_000;

function say(message: string): void {
  process.stdout.write(`[e2e:image] ${message}\n`);
}

/** What the run measured; printed, and written as JSON with --out. */
interface Figures {
  date: string;
  base: { tag: string; source: string; seconds: number };
  /** Build times, and whether `npm ci` came from the layer cache (warm) or ran (cold). */
  build: { operatorSeconds: number; emulatorSeconds: number; npmCi: "cached" | "ran" };
  imageBytes: { operator: number; emulator: number; base: number };
  memory: { limitBytes?: number; idle: MemorySample; afterExamples: MemorySample };
  examples: { count: number; kinds: string[]; readySeconds: number };
  shutdown: { exitCode: number; seconds: number; leaseReleased: boolean };
}

/** Memory of the operator container at one moment. */
interface MemorySample {
  /** What `docker stats` reports (the cgroup's usage without page cache). */
  containerBytes: number;
  /** The operator's own view, from /metrics. */
  rssBytes: number;
  heapUsedBytes: number;
}

/** Fails the run with `message` unless `condition` holds. */
function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 90_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** GET http://127.0.0.1:port/path; resolves with the status and body, or status 0 when nothing answers. */
function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: 3_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end();
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

async function memorySample(engine: DockerEngine, container: string, metricsPort: number): Promise<MemorySample> {
  const usage = (await engine.ok(["stats", "--no-stream", "--format", "{{.MemUsage}}", container])).trim();
  const metrics = await httpGet(metricsPort, "/metrics");
  return {
    containerBytes: statsBytes(usage),
    rssBytes: metricValue(metrics.body, "k3_process_resident_memory_bytes") ?? 0,
    heapUsedBytes: metricValue(metrics.body, "k3_nodejs_heap_size_used_bytes") ?? 0,
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** The file rules of the two images: the production one holds the operator and nothing else. */
const imageRules: Record<"operator" | "emulator", ImageFileRules> = {
  operator: {
    required: ["app/dist/main.js", "app/dist/operator.js", "app/node_modules/@kubernetes/client-node/package.json", "usr/local/bin/node"],
    forbidden: [
      { pattern: /^app\/dist\/emulator\//, reason: "the emulator" },
      { pattern: /^app\/dist\/controlplane\//, reason: "the control-plane builder" },
      { pattern: /^app\/dist\/.*\.test\.js$/, reason: "test code" },
      { pattern: /^app\/(src|test|bench|scripts|proto)\//, reason: "sources, tests or benchmarks" },
      { pattern: /^app\/node_modules\/(typescript|vitest|tsx|eslint|node|@bufbuild\/buf|ts-proto|vite)\//, reason: "a dev dependency" },
      { pattern: /^run\/secrets\//, reason: "a build secret" },
    ],
  },
  emulator: {
    required: ["app/dist/emulator/main.js", "app/proto/dodil/k3/pipeline/v1/pipeline.proto"],
    forbidden: [
      { pattern: /^app\/node_modules\/(typescript|vitest|tsx|eslint|node)\//, reason: "a dev dependency" },
      { pattern: /^run\/secrets\//, reason: "a build secret" },
    ],
  },
};

async function imageFiles(engine: DockerEngine, image: string): Promise<string[]> {
  const id = (await engine.ok(["create", image])).trim();
  try {
    const listing = await runCommand("sh", ["-c", `"$0" export "$1" | tar -t`, engine.cli, id], { env: { ...process.env, DOCKER_HOST: engine.host }, timeoutMs: 120_000 });
    if (listing.exitCode !== 0) throw new Error(`cannot list the files of ${image}: ${listing.stderr.trim()}`);
    return listing.stdout.split("\n").filter(Boolean);
  } finally {
    await engine.run(["rm", "-f", id]);
  }
}

async function imageContains(engine: DockerEngine, image: string, marker: string): Promise<boolean> {
  // `docker save` writes every layer uncompressed: a plain byte search finds a stored copy.
  const found = await runCommand("sh", ["-c", `"$0" save "$1" | grep -c -F -a -e "$2" || true`, engine.cli, image, marker], { env: { ...process.env, DOCKER_HOST: engine.host }, timeoutMs: 300_000 });
  return Number(found.stdout.trim() || "0") > 0;
}

async function imageBytes(engine: DockerEngine, image: string): Promise<number> {
  return Number((await engine.ok(["image", "inspect", "--format", "{{.Size}}", image])).trim());
}

/** The run: everything started is stopped by `cleanups`, whatever happens. */
async function e2e(o: { engine: DockerEngine; cleanups: Cleanups; work: string; noCache: boolean }): Promise<Figures> {
  const { engine, cleanups, work } = o;
  const base = await ensureBaseImage({ engine, cacheDir: join(cacheDir(), "image"), report: say });
  say(`base image ${base.tag} (${base.source}${base.seconds ? `, ${base.seconds.toFixed(1)} s` : ""})`);

  const hostCa = extraCaFile(process.env);
  // The secret gets a marker line (PEM readers skip text between certificates), so that
  // finding it in a layer proves a leak. Constant: BuildKit's cache key ignores secret
  // contents, so a layer cached by an earlier run holds that run's copy.
  const marker = "k3-operator-e2e-build-secret-marker";
  const extraCa = hostCa === undefined ? undefined : join(work, "extra-ca.pem");
  if (hostCa !== undefined && extraCa !== undefined) await writeFile(extraCa, `${await readFile(hostCa, "utf8")}\n# ${marker}\n`, { mode: 0o600 });
  say(`building the Dockerfile (NODE_IMAGE=${base.tag}${hostCa ? `, extra CA certificates from ${hostCa} as a build secret` : ""})`);
  const { seconds: operatorSeconds, npmCiCached } = await build({ engine, target: "operator", tag: operatorImage, base: base.tag, extraCa, noCache: o.noCache });
  const { seconds: emulatorSeconds } = await build({ engine, target: "emulator", tag: emulatorImage, base: base.tag, extraCa, noCache: o.noCache });
  say(`built ${operatorImage} in ${operatorSeconds.toFixed(1)} s, ${emulatorImage} in ${emulatorSeconds.toFixed(1)} s`);

  for (const [target, image] of [["operator", operatorImage], ["emulator", emulatorImage]] as const) {
    const problems = checkImageFiles(await imageFiles(engine, image), imageRules[target]);
    check(problems.length === 0, `${image} holds what it should not or lacks what it needs:\n  ${problems.join("\n  ")}`);
  }
  if (extraCa) {
    for (const image of [operatorImage, emulatorImage]) check(!(await imageContains(engine, image, marker)), `${image} contains the build secret`);
  }
  say("image contents checked: production image without emulator, builder, tests, dev dependencies or build secret");
  const sizes = { operator: await imageBytes(engine, operatorImage), emulator: await imageBytes(engine, emulatorImage), base: await imageBytes(engine, base.tag) };
  say(`sizes: operator ${mib(sizes.operator)}, emulator ${mib(sizes.emulator)}, base ${mib(sizes.base)}`);

  const plane = await startControlPlane({ report: (message) => say(`control plane: ${message}`) });
  cleanups.add("control plane", () => plane.stop());
  const kubeconfig = plane.kubeconfigPath;
  const apiPort = Number(new URL(plane.server).port);

  // The emulator, from its own image, hardened the same way.
  const [emulatorPort, metricsPort] = (await freePorts(2)) as [number, number];
  const secret = randomBytes(16).toString("hex");
  const emulatorName = `k3-e2e-emulator-${process.pid}`;
  cleanups.add("emulator container", async () => void (await engine.run(["rm", "-f", emulatorName])));
  await engine.ok([
    "run", "--detach", "--name", emulatorName, "--network", "host", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--env", `K3_EMULATOR_SECRET=${secret}`,
    emulatorImage, "serve", "--host", "127.0.0.1", "--port", String(emulatorPort), "--time-scale", "0.05",
  ]);
  await until("the emulator container to listen", 30_000, async () => {
    const logs = await engine.run(["logs", emulatorName]);
    if (/k3-emulator listening on/.test(logs.stdout)) return true;
    if ((await engine.ok(["inspect", "--format", "{{.State.Running}}", emulatorName])).trim() !== "true") throw new Error(`the emulator container exited:\n${logs.stdout}${logs.stderr}`);
    return undefined;
  });
  say(`emulator container listening on 127.0.0.1:${emulatorPort}`);

  // The chart, rendered as a user would install it, with the values this machine needs.
  const rendered = parseAllDocuments(await helmTemplate({
    chartDir, release, namespace: operatorNamespace, includeCrds: true,
    set: {
      hostNetwork: "true",
      "image.repository": operatorImage.split(":")[0] ?? "",
      "image.tag": operatorImage.split(":")[1] ?? "",
      "image.pullPolicy": "Never",
      "k3.endpoint": `127.0.0.1:${emulatorPort}`,
      "k3.insecure": "true",
      "metrics.port": String(metricsPort),
    },
  })).map((doc) => doc.toJS() as ({ kind: string; metadata: { name: string } } & Record<string, unknown>) | null).filter((doc) => doc !== null);
  const deployment = rendered.find((doc) => doc.kind === "Deployment") as unknown as DeploymentSpec & { metadata: { name: string } };
  check(deployment !== undefined, "the chart renders a Deployment");
  await kubectl(kubeconfig, ["create", "namespace", operatorNamespace]);
  const others = rendered.filter((doc) => doc.kind !== "Deployment");
  await kubectl(kubeconfig, ["apply", "--server-side", "-f", "-"], others.map((doc) => stringify(doc)).join("---\n"));
  await kubectl(kubeconfig, ["wait", "--for=condition=Established", "--timeout=60s", "--all", "crd"]);
  const serviceAccount = others.find((doc) => doc.kind === "ServiceAccount")?.metadata.name;
  check(serviceAccount !== undefined, "the chart renders a ServiceAccount");
  const saToken = (await kubectl(kubeconfig, ["-n", operatorNamespace, "create", "token", serviceAccount, "--duration=2h"])).trim();
  say(`chart applied to ${operatorNamespace} without its Deployment (${others.map((doc) => doc.kind).join(", ")}); ServiceAccount token issued`);

  // The operator, as the Deployment's pod.
  const operatorName = `k3-e2e-operator-${process.pid}`;
  const imageUser = (await engine.ok(["image", "inspect", "--format", "{{.Config.User}}", operatorImage])).trim();
  const plan = planContainer(deployment, "operator", {
    namespace: operatorNamespace,
    podName: operatorName,
    imageUser,
    secrets: { "k3-operator-token": { token: mintToken({ secret, tenant, ttlSeconds: 7200 }) } },
    apiserver: { host: "127.0.0.1", port: apiPort },
    serviceAccount: { token: saToken, caCrt: await readFile(join(plane.pkiDir, "ca.crt"), "utf8") },
  });
  check(plan.image === operatorImage, `the Deployment runs ${operatorImage} (it names ${plan.image})`);
  cleanups.add("operator container", async () => void (await engine.run(["rm", "-f", operatorName])));
  const started = Date.now();
  await engine.ok(["run", "--detach", "--name", operatorName, ...plan.flags, ...(await volumeFlags(plan, join(work, "volumes"))), plan.image, ...plan.args]);
  say(`operator container started: docker run ${plan.flags.join(" ")} … ${plan.image} ${plan.args.join(" ")}`);
  const operatorLogs = async (): Promise<string> => {
    const logs = await engine.run(["logs", "--tail", "40", operatorName]);
    return `${logs.stdout}${logs.stderr}`;
  };
  const mustRun = async (): Promise<void> => {
    const state = (await engine.ok(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", operatorName])).trim();
    if (!state.startsWith("running")) throw new Error(`the operator container is ${state}; its last lines:\n${await operatorLogs()}`);
  };

  for (const probe of plan.probes) {
    await until(`${probe.kind} probe ${probe.path} to answer 200`, 60_000, async () => {
      await mustRun();
      return (await httpGet(probe.port, probe.path)).status === 200 ? true : undefined;
    });
  }
  const lease = async (): Promise<string> => {
    const json = JSON.parse(await kubectl(kubeconfig, ["-n", operatorNamespace, "get", "lease", release, "-o", "json"])) as { spec?: { holderIdentity?: string } };
    return json.spec?.holderIdentity ?? "";
  };
  const holder = await until("the operator to hold the Lease", 60_000, async () => (await lease().catch(() => "")) || undefined);
  say(`probes answer 200 (${plan.probes.map((p) => p.path).join(", ")}) after ${((Date.now() - started) / 1000).toFixed(1)} s; Lease ${release} held by ${holder}`);
  await sleep(5_000);
  const idle = await memorySample(engine, operatorName, metricsPort);

  // The examples of every kind with a controller.
  const { apply } = selectExamples(await loadExamples(join(root, "examples")), readyKinds);
  check(apply.length > 0, "there are examples to apply");
  await kubectl(kubeconfig, ["create", "namespace", examplesNamespace]);
  await kubectl(kubeconfig, ["apply", "-n", examplesNamespace, "-f", "-"], toYamlStream(apply));
  const crs = apply.filter((doc) => doc.kind.startsWith("K3"));
  const appliedAt = Date.now();
  say(`applied ${apply.length} example document(s) to ${examplesNamespace}: ${apply.map((doc) => `${doc.kind} ${doc.name}`).join(", ")}`);
  let missing: string[] = [];
  await until("the examples to be Ready", readyTimeoutMs, async () => {
    await mustRun();
    const list = JSON.parse(await kubectl(kubeconfig, ["get", "k3", "-n", examplesNamespace, "-o", "json"])) as { items: ListedObject[] };
    missing = notReady(crs, list.items);
    return missing.length === 0 ? true : undefined;
  }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${missing.join("; ")}`);
  });
  const readySeconds = (Date.now() - appliedAt) / 1000;
  say(`all ${crs.length} example object(s) Ready in ${readySeconds.toFixed(1)} s`);
  process.stdout.write(`${(await kubectl(kubeconfig, ["get", "k3", "-n", examplesNamespace])).trimEnd()}\n`);
  await sleep(2_000);
  const afterExamples = await memorySample(engine, operatorName, metricsPort);

  const metrics = await httpGet(metricsPort, "/metrics");
  check(metrics.status === 200, "/metrics answers 200");
  for (const name of ["k3_process_resident_memory_bytes", "k3_nodejs_heap_size_used_bytes"]) check(metricValue(metrics.body, name) !== undefined, `/metrics has ${name}`);
  check((metricValue(metrics.body, "k3_reconcile_total") ?? 0) > 0, "/metrics counts the operator's reconciles (k3_reconcile_total > 0)");

  // SIGTERM, as the kubelet stops a pod: exit 0, Lease released.
  const stopStarted = Date.now();
  await engine.ok(["kill", "--signal", "TERM", operatorName]);
  const exitCode = await until("the operator to exit after SIGTERM", 40_000, async () => {
    const [status, code] = (await engine.ok(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", operatorName])).trim().split(" ");
    return status === "exited" ? Number(code) : undefined;
  });
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  check(exitCode === 0, `SIGTERM ends the operator with exit code 0 (got ${exitCode}); last lines:\n${await operatorLogs()}`);
  const leaseReleased = (await lease()) === "";
  check(leaseReleased, "the Lease is released on SIGTERM");
  say(`SIGTERM: exit 0 in ${stopSeconds.toFixed(1)} s, Lease released`);

  return {
    date: new Date().toISOString(),
    base: { tag: base.tag, source: base.source, seconds: base.seconds },
    build: { operatorSeconds, emulatorSeconds, npmCi: npmCiCached ? "cached" : "ran" },
    imageBytes: sizes,
    memory: { limitBytes: plan.memoryLimitBytes, idle, afterExamples },
    examples: { count: crs.length, kinds: [...new Set(crs.map((doc) => doc.kind))], readySeconds },
    shutdown: { exitCode, seconds: stopSeconds, leaseReleased },
  };
}

/** Writes each volume's files into a folder of its own and returns the `--volume` flags. */
async function volumeFlags(plan: ContainerPlan, dir: string): Promise<string[]> {
  const flags: string[] = [];
  for (const volume of plan.volumes) {
    const hostDir = join(dir, volume.name);
    await mkdir(hostDir, { recursive: true });
    // As the kubelet writes Secret volumes: world-readable files (defaultMode 0644), so the
    // non-root user reads them; the mount is read-only.
    await chmod(hostDir, 0o755);
    for (const [path, content] of Object.entries(volume.files)) await writeFile(join(hostDir, path), content, { mode: 0o644 });
    flags.push("--volume", `${hostDir}:${volume.mountPath}${volume.readOnly ? ":ro" : ""}`);
  }
  return flags;
}

function printFigures(figures: Figures): void {
  const m = figures.memory;
  say("figures:");
  process.stdout.write([
    `  base image      ${figures.base.tag} (${figures.base.source}${figures.base.seconds ? `, ${figures.base.seconds.toFixed(1)} s` : ""})`,
    `  build           operator ${figures.build.operatorSeconds.toFixed(1)} s, emulator ${figures.build.emulatorSeconds.toFixed(1)} s (npm ci ${figures.build.npmCi})`,
    `  image size      operator ${mib(figures.imageBytes.operator)}, emulator ${mib(figures.imageBytes.emulator)}, base ${mib(figures.imageBytes.base)}`,
    `  memory idle     container ${mib(m.idle.containerBytes)}, RSS ${mib(m.idle.rssBytes)}, heap ${mib(m.idle.heapUsedBytes)}${m.limitBytes ? ` (limit ${mib(m.limitBytes)})` : ""}`,
    `  after examples  container ${mib(m.afterExamples.containerBytes)}, RSS ${mib(m.afterExamples.rssBytes)}, heap ${mib(m.afterExamples.heapUsedBytes)}`,
    `  examples        ${figures.examples.count} (${figures.examples.kinds.join(", ")}) Ready in ${figures.examples.readySeconds.toFixed(1)} s`,
    `  SIGTERM         exit ${figures.shutdown.exitCode} in ${figures.shutdown.seconds.toFixed(1)} s, Lease released: ${figures.shutdown.leaseReleased}`,
  ].join("\n") + "\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { out: { type: "string" }, "no-cache": { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("usage: npm run e2e:image [-- --out FILE.json] [--no-cache]   (root, or a running Docker engine; Debian's docker.io and debootstrap)\n");
    return 0;
  }
  const cache = cacheDir();
  const dockerDir = join(cache, "docker");
  await mkdir(dockerDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "k3-e2e-image-"));
  const cleanups = new Cleanups("e2e:image");
  cleanups.add("work folder", () => rm(work, { recursive: true, force: true }));
  // One dockerd per data root: a second run waits for the first.
  return withFileLock(join(dockerDir, "run.lock"), async () => {
    // Fixed (the lock makes it ours), so that a run killed with SIGKILL is cleaned up by the next.
    const execRoot = "/tmp/k3-e2e-dockerd";
    let code = 1;
    try {
      const engine = await startDockerEngine({ dataRoot: join(dockerDir, "data"), execRoot, logFile: join(dockerDir, "dockerd.log"), report: say });
      cleanups.add("docker engine", async () => {
        if (engine.ours) {
          // Dangling images of earlier builds and build cache beyond a few GB go; the rest speeds up the next run.
          await engine.run(["image", "prune", "--force"]);
          await engine.run(["builder", "prune", "--force", "--keep-storage", "3GB"]);
        }
        await engine.stop();
        const left = engine.ours ? processesUnder(execRoot) : [];
        if (left.length > 0) throw new Error(`processes of our dockerd still run: ${left.join(", ")}`);
        if (engine.ours) say("dockerd stopped; nothing of it runs");
      });
      const figures = await e2e({ engine, cleanups, work, noCache: values["no-cache"] === true });
      printFigures(figures);
      if (values.out) {
        await writeFile(values.out, `${JSON.stringify(figures, null, 2)}\n`);
        say(`figures written to ${values.out}`);
      }
      code = 0;
    } catch (error) {
      process.stderr.write(`[e2e:image] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    if (!(await cleanups.runAll())) code = 1;
    say(code === 0 ? "passed" : "failed");
    return code;
  }, { onWait: (pid) => say(`waiting for pid ${pid}, another image e2e using the same Docker data folder`) });
}

// An explicit exit: a dockerd that failed to stop must not keep this process waiting on it
// (the exit hook of docker-engine.ts then kills it).
process.exit(await main());
