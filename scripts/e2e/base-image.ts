// The Dockerfile's base image made offline, from package registries only: a minimal Debian
// root file system (debootstrap --variant=minbase, from the host's configured Debian mirror)
// plus Node 24 — the binary of the `node` npm package this project already runs on, and npm
// from its own npm package — imported with `docker import`. No container registry needed.
// The root file system is cached by the content of its inputs; the image is re-imported
// only when the engine lacks it.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { withFileLock } from "../../src/controlplane/file-lock.js";
import { runCommand } from "../../src/controlplane/exec.js";
import type { DockerEngine } from "./docker-engine.js";

/** What goes into the base image; every field is part of its cache key. */
export interface BaseRecipe {
  suite: string;
  variant: string;
  /** sha256 of the node binary copied in. */
  nodeSha256: string;
  nodeVersion: string;
  npmVersion: string;
  /** Bumped when the steps below change what they produce. */
  recipeRevision: number;
}

/** The made image. */
export interface BaseImage {
  /** `k3-operator-base/node:<node>-<suite>-<key>`: pass it as the Dockerfile's NODE_IMAGE. */
  tag: string;
  /** Seconds spent making it now (0 when the engine had it). */
  seconds: number;
  /** `engine` (already imported), `tarball` (imported from the cache) or `debootstrap` (made now). */
  source: "engine" | "tarball" | "debootstrap";
}

/**
 * npm for the base image: the release line Node 24 ships with. Pinned, so the image is the
 * same on every machine; bump together with the `node` devDependency.
 */
export const baseNpmVersion = "11.19.1";

/** The cache key of a recipe: the first 12 hex digits of its sha256. */
export function baseKey(recipe: BaseRecipe): string {
  return createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 12);
}

/**
 * The Debian mirror the host's apt uses (deb822 `.sources` files or `sources.list`), so that
 * debootstrap goes where apt already goes (a company mirror or proxy, say).
 */
export function debianMirror(files: { name: string; text: string }[]): string | undefined {
  for (const { name, text } of files) {
    if (name.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (key: string): string | undefined => new RegExp(`^${key}:\\s*(.+)$`, "im").exec(stanza)?.[1]?.trim();
        const suites = field("Suites")?.split(/\s+/) ?? [];
        const types = field("Types")?.split(/\s+/) ?? [];
        const enabled = field("Enabled")?.toLowerCase() !== "no";
        if (enabled && types.includes("deb") && suites.some((suite) => /^[a-z]+$/.test(suite))) return field("URIs")?.split(/\s+/)[0];
      }
    } else {
      for (const line of text.split("\n")) {
        const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+([a-z]+)\s/.exec(line.trim() + " ");
        if (match) return match[1];
      }
    }
  }
  return undefined;
}

function hostAptSources(): { name: string; text: string }[] {
  const files: { name: string; text: string }[] = [];
  const read = (path: string): void => {
    try {
      files.push({ name: path, text: readFileSync(path, "utf8") });
    } catch {
      // absent
    }
  };
  read("/etc/apt/sources.list");
  try {
    for (const name of readdirSync("/etc/apt/sources.list.d").sort()) read(join("/etc/apt/sources.list.d", name));
  } catch {
    // absent
  }
  return files.filter((file) => /\.(list|sources)$/.test(file.name));
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Options of {@link ensureBaseImage}. */
export interface BaseImageOptions {
  engine: DockerEngine;
  /** Folder of the cached root file systems and npm tarballs. */
  cacheDir: string;
  report: (message: string) => void;
  /** The Node 24 binary to put in; defaults to the one running this script (the `node` npm package). */
  nodeBinary?: string;
}

/** Makes (or finds) the base image and resolves with its tag. */
export async function ensureBaseImage(options: BaseImageOptions): Promise<BaseImage> {
  const nodeBinary = realpathSync(options.nodeBinary ?? process.execPath);
  const nodeVersion = (await runCommand(nodeBinary, ["--version"])).stdout.trim().replace(/^v/, "");
  if (!nodeVersion.startsWith("24.")) throw new Error(`the base image needs Node 24, ${nodeBinary} is ${nodeVersion} (run through npm, which puts the node package's Node 24 first)`);
  const recipe: BaseRecipe = { suite: "bookworm", variant: "minbase", nodeSha256: await sha256File(nodeBinary), nodeVersion, npmVersion: baseNpmVersion, recipeRevision: 1 };
  const key = baseKey(recipe);
  const tag = `k3-operator-base/node:${nodeVersion}-${recipe.suite}-${key}`;
  if ((await options.engine.run(["image", "inspect", tag], { timeoutMs: 30_000 })).exitCode === 0) return { tag, seconds: 0, source: "engine" };

  const started = Date.now();
  await mkdir(options.cacheDir, { recursive: true });
  const tarball = join(options.cacheDir, `base-${key}.tar`);
  let source: BaseImage["source"] = "tarball";
  await withFileLock(join(options.cacheDir, "base.lock"), async () => {
    if (existsSync(tarball)) return;
    source = "debootstrap";
    await makeRootfsTarball({ ...options, recipe, nodeBinary, tarball });
  }, { onWait: (pid) => options.report(`waiting for pid ${pid}, which is making the base image`) });
  options.report(`importing ${tarball} as ${tag}`);
  await options.engine.ok([
    "import",
    "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--change", `ENV NODE_VERSION=${nodeVersion}`,
    "--change", 'CMD ["node"]',
    tarball, tag,
  ]);
  return { tag, seconds: (Date.now() - started) / 1000, source };
}

async function makeRootfsTarball(o: BaseImageOptions & { recipe: BaseRecipe; nodeBinary: string; tarball: string }): Promise<void> {
  const mirror = process.env.K3_DEBIAN_MIRROR || debianMirror(hostAptSources());
  if (!mirror) throw new Error("no Debian mirror in /etc/apt/sources.list{,.d}: set K3_DEBIAN_MIRROR");
  const npmTarball = await npmPackage(o);
  const rootfs = join(o.cacheDir, `rootfs-${process.pid}`);
  await rm(rootfs, { recursive: true, force: true });
  try {
    await debootstrap({ ...o, mirror, rootfs });
    // What a slim image leaves out: downloaded packages, package lists, docs, manuals, locales.
    for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info"]) {
      await emptyDir(join(rootfs, dir));
    }
    await mkdir(join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true });
    await copyFile(o.nodeBinary, join(rootfs, "usr/local/bin/node"));
    await chmod(join(rootfs, "usr/local/bin/node"), 0o755);
    const untar = await runCommand("tar", ["-xzf", npmTarball, "-C", join(rootfs, "usr/local/lib/node_modules/npm"), "--strip-components=1", "--no-same-owner"]);
    if (untar.exitCode !== 0) throw new Error(`cannot unpack ${npmTarball}: ${untar.stderr.trim()}`);
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    const pack = await runCommand("tar", ["-C", rootfs, "--numeric-owner", "-cf", `${o.tarball}.partial`, "."], { timeoutMs: 300_000 });
    if (pack.exitCode !== 0) throw new Error(`cannot pack the root file system: ${pack.stderr.trim()}`);
    await rename(`${o.tarball}.partial`, o.tarball);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
    await rm(`${o.tarball}.partial`, { force: true });
  }
}

/** Runs debootstrap, once more after a failure: a mirror's hiccup must not fail CI. */
async function debootstrap(o: BaseImageOptions & { recipe: BaseRecipe; mirror: string; rootfs: string }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    o.report(`debootstrap --variant=${o.recipe.variant} ${o.recipe.suite} from ${o.mirror} (about a minute)`);
    const boot = await runCommand("debootstrap", [`--variant=${o.recipe.variant}`, o.recipe.suite, o.rootfs, o.mirror], { timeoutMs: 900_000 });
    if (boot.exitCode === 0) return;
    const detail = `debootstrap failed (${boot.exitCode}): ${(boot.stderr || boot.stdout).trim().split("\n").slice(-15).join("\n")}`;
    if (attempt === 2) throw new Error(detail);
    o.report(`${detail}\nretrying once`);
    await rm(o.rootfs, { recursive: true, force: true });
  }
}

async function emptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.map((entry) => rm(join(dir, entry), { recursive: true, force: true })));
}

/** The npm package's tarball, fetched once with `npm pack` (the ordinary registry client) into the cache. */
async function npmPackage(o: BaseImageOptions & { recipe: BaseRecipe }): Promise<string> {
  const file = join(o.cacheDir, `npm-${o.recipe.npmVersion}.tgz`);
  if (existsSync(file)) return file;
  const dir = join(o.cacheDir, `npm-pack-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    const packed = await runCommand("npm", ["pack", `npm@${o.recipe.npmVersion}`, "--pack-destination", dir, "--silent"], { timeoutMs: 300_000 });
    if (packed.exitCode !== 0) throw new Error(`npm pack npm@${o.recipe.npmVersion} failed: ${packed.stderr.trim()}`);
    await rename(join(dir, packed.stdout.trim().split("\n").pop() ?? ""), file);
    return file;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
