// The node's images, made here because nothing can be pulled: the sandbox ("pause") image from
// scripts/e2e/pause (a static Go program FROM scratch) and the operator image of Part 1 (the
// project's Dockerfile on the offline base), both built by Docker and moved into the node's
// containerd with `docker save | ctr -n k8s.io images import -`.
import { mkdtemp, copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../../src/controlplane/exec.js";
import { withFileLock } from "../../../src/controlplane/file-lock.js";
import { cacheDir } from "../../../src/controlplane/versions.js";
import { ensureBaseImage } from "../base-image.js";
import { buildImage, extraCaFile } from "../build-image.js";
import { startDockerEngine, type DockerEngine } from "../docker-engine.js";
import type { Containerd } from "./node.js";

const pauseSource = resolve(dirname(fileURLToPath(import.meta.url)), "../pause");

/** What loading the images took. */
export interface ImageFigures {
  /** Seconds to build the operator image (BuildKit's cache makes a repeat quick). */
  operatorBuildSeconds: number;
  npmCi: "cached" | "ran";
  pauseBuildSeconds: number;
  /** Seconds of `docker save | ctr import` for both images. */
  importSeconds: number;
  pauseImageBytes: number;
}

/** Builds the sandbox image `tag`: the pause program compiled static, alone FROM scratch. */
async function buildPause(engine: DockerEngine, tag: string): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), "k3-e2e-pause-"));
  try {
    const go = await runCommand("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(context, "pause"), "."], {
      cwd: pauseSource,
      env: { ...process.env, CGO_ENABLED: "0", GOWORK: "off", GOFLAGS: "-mod=mod" },
      timeoutMs: 300_000,
    });
    if (go.exitCode !== 0) throw new Error(`cannot build the pause program: ${go.stderr.trim()}`);
    await copyFile(join(pauseSource, "Dockerfile"), join(context, "Dockerfile"));
    await engine.ok(["build", "--tag", tag, "--progress", "plain", context], { timeoutMs: 300_000 });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/**
 * Builds both images with the running Docker engine (else a dockerd of our own, stopped
 * afterwards; one at a time per data folder, as `npm run e2e:image`) and imports them into
 * `containerd`.
 */
export async function loadNodeImages(o: { containerd: Containerd; operatorTag: string; pauseTag: string; work: string; report: (message: string) => void }): Promise<ImageFigures> {
  const dockerDir = join(cacheDir(), "docker");
  return withFileLock(join(dockerDir, "run.lock"), async () => {
    const engine = await startDockerEngine({ dataRoot: join(dockerDir, "data"), execRoot: "/tmp/k3-e2e-dockerd", logFile: join(dockerDir, "dockerd.log"), report: o.report });
    try {
      const base = await ensureBaseImage({ engine, cacheDir: join(cacheDir(), "image"), report: o.report });
      const hostCa = extraCaFile(process.env);
      const extraCa = hostCa === undefined ? undefined : join(o.work, "extra-ca.pem");
      if (hostCa !== undefined && extraCa !== undefined) await writeFile(extraCa, await readFile(hostCa, "utf8"), { mode: 0o600 });
      o.report(`building the operator image ${o.operatorTag} (NODE_IMAGE=${base.tag})`);
      const operator = await buildImage({ engine, target: "operator", tag: o.operatorTag, base: base.tag, extraCa, noCache: false });
      let started = Date.now();
      await buildPause(engine, o.pauseTag);
      const pauseBuildSeconds = (Date.now() - started) / 1000;
      const pauseImageBytes = Number((await engine.ok(["image", "inspect", "--format", "{{.Size}}", o.pauseTag])).trim());
      started = Date.now();
      for (const tag of [o.pauseTag, o.operatorTag]) {
        await o.containerd.importFrom(`"$DOCKER_CLI" save "${tag}"`, { DOCKER_HOST: engine.host, DOCKER_CLI: engine.cli });
      }
      const importSeconds = (Date.now() - started) / 1000;
      o.report(`imported ${o.pauseTag} (${(pauseImageBytes / 1024 ** 2).toFixed(1)} MiB) and ${o.operatorTag} into the node's containerd in ${importSeconds.toFixed(1)} s`);
      return { operatorBuildSeconds: operator.seconds, npmCi: operator.npmCiCached ? "cached" : "ran", pauseBuildSeconds, importSeconds, pauseImageBytes };
    } finally {
      if (engine.ours) await engine.run(["image", "prune", "--force"]);
      await engine.stop();
    }
  }, { onWait: (pid) => o.report(`waiting for pid ${pid}, another e2e using the same Docker data folder`) });
}
