import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flags } from "./config.js";
import { FLAG_HELP, usage } from "./config-help.js";

/** Rows of the README's configuration table: flag, env, default, meaning. */
function readmeRows(): string[][] {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const table = readme.slice(readme.indexOf("| flag | env | default | meaning |"));
  return table.split("\n").slice(2).filter((line) => line.startsWith("| `--"))
    .map((line) => line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
}

describe("--help and the README table", () => {
  it("the README lists every flag, in order, with the same env twin, default and meaning", () => {
    const expected = (Object.keys(flags) as (keyof typeof flags)[]).map((name) =>
      [`\`--${name}\``, `\`${flags[name].env}\``, FLAG_HELP[name].default, FLAG_HELP[name].meaning]);
    expect(readmeRows()).toEqual(expected);
  });

  it("--help names every flag, its env twin and its default", () => {
    const text = usage();
    for (const name of Object.keys(flags) as (keyof typeof flags)[]) {
      const line = text.split("\n").find((l) => l.trimStart().startsWith(`--${name} `) || l.trimStart() === `--${name}`);
      expect(line, `--${name}`).toBeDefined();
      expect(line).toContain(flags[name].env);
      expect(line).toContain(`(default: ${FLAG_HELP[name].default.replaceAll("`", "")})`);
    }
  });
});
