// `npm run local -- --no-watch`, the README's first command in its test form: a control plane
// of its own, the emulator, the CRDs, the examples and the operator, every applied example
// Ready, then everything stopped and its folder tidied.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/controlplane/exec.js";
import { isAlive } from "../../src/controlplane/processes.js";
import { isK3Kind, loadExamples, readyKinds, selectExamples } from "../../scripts/local/examples.js";

const root = resolve(import.meta.dirname, "..", "..");

/**
 * The rows of the last `kubectl get k3 -A` output in `output` (one table per kind, separated by
 * blank lines, after the final "example(s) Ready" line), as column-name → value maps.
 */
function lastTables(output: string): Record<string, string>[] {
  const lines = output.split("\n");
  const from = lines.findLastIndex((line) => line.includes("example(s) Ready"));
  const rows: Record<string, string>[] = [];
  let columns: { name: string; at: number }[] | undefined;
  for (const line of lines.slice(from + 1)) {
    if (line.startsWith("NAMESPACE ")) {
      columns = [...line.matchAll(/\S+/g)].map((match) => ({ name: match[0], at: match.index }));
    } else if (line.trim() === "") {
      columns = undefined;
    } else if (columns) {
      const header = columns;
      rows.push(Object.fromEntries(header.map(({ name, at }, i) => [name, line.slice(at, header[i + 1]?.at ?? line.length).trim()])));
    }
  }
  return rows;
}

describe("npm run local -- --no-watch", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("gets every applied example Ready, prints them, and stops everything it started", { timeout: 330_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "k3-local-run-"));
    dirs.push(dir);
    // Node 24 first on PATH, as inside any npm script, whatever started this test.
    const env = { ...process.env, K3_LOCAL_DIR: dir, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
    const run = await runCommand("npm", ["run", "-s", "local", "--", "--no-watch"], { cwd: root, env, timeoutMs: 300_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, output).toBe(0);

    const apply = selectExamples(await loadExamples(join(root, "examples")), readyKinds).apply.filter(isK3Kind);
    const rows = lastTables(run.stdout);
    const nameOf = (doc: { kind: string; name: string }): string => `${doc.kind.toLowerCase()}.k3.dodil.io/${doc.name}`;
    expect(rows.map((row) => row.NAME).sort(), output).toEqual(apply.map(nameOf).sort());
    // Every example is Ready, except those documenting a failure on purpose (a rejected credential, a consent to give).
    for (const row of rows) {
      const documented = apply.find((doc) => nameOf(doc) === row.NAME)?.expectedReason;
      if (row.NAME?.startsWith("k3ingestjob")) expect(row, output).toMatchObject({ NAMESPACE: "k3-demo", PHASE: "Succeeded" });
      else expect(row, output).toMatchObject({ NAMESPACE: "k3-demo", READY: documented ? "False" : "True", SYNCED: "True" });
    }
    expect(apply.filter((doc) => doc.expectedReason).length).toBeGreaterThan(0);

    const pids = [...(/^\s*pids\s+(.*)$/m.exec(run.stdout)?.[1] ?? "").matchAll(/([\w-]+) (\d+)/g)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
    expect(pids.map(({ name }) => name).sort(), output).toEqual(["etcd", "kube-apiserver", "operator"]);
    expect(pids.filter(({ pid }) => isAlive(pid))).toEqual([]);

    // Logs stay for a post-mortem; the kubeconfig, token and run records go with the run.
    expect((await readdir(dir)).sort()).toEqual(["emulator.log", "operator.log"]);
  });
});
