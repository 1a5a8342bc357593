// The commit a benchmark ran on, recorded beside its figures.
import { execFileSync } from "node:child_process";

/** The short hash of HEAD, or "unknown" outside a git checkout. */
export function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
