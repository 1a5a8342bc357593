// Where tests and scripts find kubectl and helm: the cached builds, else the ones on PATH.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { binaryPaths } from "./versions.js";

/** The kubectl to run: the cached build of the pinned release, else `kubectl` on PATH. */
export function kubectlPath(): string {
  return locate(binaryPaths().kubectl, "kubectl");
}

/** The helm to run: the cached build of the pinned release, else `helm` on PATH. */
export function helmPath(): string {
  return locate(binaryPaths().helm, "helm");
}

function locate(cached: string, name: string): string {
  const candidates = [cached, ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, name))];
  const found = candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error(`${name} not found in the cache or on PATH: run \`npm run control-plane -- build\``);
  return found;
}
