import { describe, expect, it } from "vitest";
import { parseCommandLine, parseDuration, UsageError } from "./args.js";
import { bar, outputStyle, paint, ProgressReporter } from "./output.js";

function sink(): { write(text: string): void; text: string } {
  return { text: "", write(t: string) { this.text += t; } };
}

describe("outputStyle", () => {
  it.each([
    { reason: "a terminal without NO_COLOR gets colours", isTTY: true, env: {}, color: true, tty: true },
    { reason: "NO_COLOR turns colours off on a terminal", isTTY: true, env: { NO_COLOR: "1" }, color: false, tty: true },
    { reason: "an empty NO_COLOR does not count (no-color.org)", isTTY: true, env: { NO_COLOR: "" }, color: true, tty: true },
    { reason: "a pipe gets neither colours nor redrawn lines", isTTY: false, env: {}, color: false, tty: false },
  ])("$reason", ({ isTTY, env, color, tty }) => {
    const style = outputStyle({ isTTY }, env);
    expect(style).toEqual({ color, tty });
    expect(paint(style, "red", "x")).toBe(color ? "\u001b[31mx\u001b[0m" : "x");
  });
});

describe("ProgressReporter", () => {
  it("on a terminal redraws one line with a bar and ends it once", () => {
    const out = sink();
    const reporter = new ProgressReporter(out, { tty: true, color: false }, "job");
    reporter.update({ state: "Running", done: 1, total: 4, failed: 0 });
    reporter.update({ state: "Running", done: 1, total: 4, failed: 0 });
    reporter.update({ state: "Succeeded", done: 4, total: 4, failed: 0 });
    reporter.finish();
    expect(out.text).toBe(`\r\u001b[2Kjob ${bar(1, 4)} Running 1/4 done, 0 failed\r\u001b[2Kjob ${bar(4, 4)} Succeeded 4/4 done, 0 failed\n`);
  });

  it("elsewhere prints one plain line per change, repeats dropped", () => {
    const out = sink();
    const reporter = new ProgressReporter(out, { tty: false, color: false }, "job");
    reporter.update({ state: "Queued", done: 0, failed: 0 });
    reporter.update({ state: "Queued", done: 0, failed: 0 });
    reporter.update({ state: "Running", done: 2, total: 3, failed: 1 });
    reporter.finish();
    expect(out.text).toBe("job Queued 0 done, 0 failed\njob Running 2/3 done, 1 failed\n");
  });

  it.each([
    { done: 0, total: 10, filled: 0 },
    { done: 5, total: 10, filled: 15 },
    { done: 10, total: 10, filled: 30 },
    { done: 3, total: 0, filled: 0 },
  ])("bar($done, $total) fills $filled of 30 cells", ({ done, total, filled }) => {
    expect(bar(done, total)).toBe(`[${"#".repeat(filled)}${"-".repeat(30 - filled)}]`);
  });
});

describe("parseCommandLine", () => {
  it("reads kubectl's global flags and the subcommands' own", () => {
    const parsed = parseCommandLine(["run", "rule", "-n", "ns", "--context", "c", "--kubeconfig", "k", "--keys", "a, b,,c", "--wait", "--timeout", "2m", "-o", "yaml"]);
    expect(parsed).toEqual({
      command: "run",
      positionals: ["rule"],
      flags: { kubeconfig: "k", context: "c", namespace: "ns", allNamespaces: false, output: "yaml", wait: true, watch: false, full: false, keys: ["a", "b", "c"], timeoutMs: 120_000, help: false, k3: { endpoint: undefined, tokenFile: undefined, insecure: false, caFile: undefined, connection: undefined } },
    });
  });

  it("takes the K3 connection from the K3_* environment unless a --k3-* flag says otherwise", () => {
    const env = { K3_ENDPOINT: "env:1", K3_TOKEN_FILE: "/env/token", K3_INSECURE: "true" };
    expect(parseCommandLine(["tree", "-w"]).flags.watch).toBe(true);
    expect(parseCommandLine(["tree", "--watch"]).flags.watch).toBe(true);
    expect(parseCommandLine(["templates"], env).flags.k3).toMatchObject({ endpoint: "env:1", tokenFile: "/env/token", insecure: true });
    expect(parseCommandLine(["templates", "--k3-endpoint", "flag:2"], env).flags.k3).toMatchObject({ endpoint: "flag:2", tokenFile: "/env/token" });
  });

  it.each([
    { reason: "an unknown flag", argv: ["tree", "--colour"] },
    { reason: "an output format other than json and yaml", argv: ["tree", "-o", "wide"] },
    { reason: "a timeout that is not a duration", argv: ["tree", "--timeout", "soon"] },
  ])("refuses $reason with a UsageError", ({ argv }) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
  });

  it.each([["90", 90_000], ["90s", 90_000], ["5m", 300_000], ["1h", 3_600_000], ["250ms", 250]] as const)("reads --timeout %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
