import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { faultsFromFlags, main, parseLatency, parseStatusCode, parseTtl } from "./cli.js";
import { verifyToken } from "./auth.js";
import { connectTestClient } from "./test-client.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe("k3-emulator CLI", () => {
  it.each([["90", 90], ["90s", 90], ["15m", 900], ["1h", 3600], ["7d", 604800]])("parses --ttl %s as %d seconds", (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });

  it.each([["50ms", 50], ["50", 50], ["1s", 1000], ["1.5s", 1500], ["0", 0]])("parses --latency %s as %d ms", (text, ms) => {
    expect(parseLatency(text)).toBe(ms);
  });

  it.each([["UNAVAILABLE", GrpcStatus.UNAVAILABLE], ["internal", GrpcStatus.INTERNAL], ["8", GrpcStatus.RESOURCE_EXHAUSTED]])("parses --error-code %s", (text, code) => {
    expect(parseStatusCode(text)).toBe(code);
  });

  it.each(["OK", "0", "99", "NOPE", ""])("refuses --error-code %j", (text) => {
    expect(() => parseStatusCode(text)).toThrow(/invalid --error-code/);
  });

  it("turns the fault flags into faults on every RPC", () => {
    expect(faultsFromFlags({ "error-rate": "0.1", "error-code": "UNAVAILABLE", "lost-answer-rate": "0.01", latency: "50ms" })).toEqual({
      latencyMs: 50,
      errorRates: { "*": { rate: 0.1, code: GrpcStatus.UNAVAILABLE } },
      lostAnswerRates: { "*": 0.01 },
    });
    expect(faultsFromFlags({})).toEqual({ latencyMs: 0, errorRates: {}, lostAnswerRates: {} });
  });

  it("token prints a JWT for the tenant", async () => {
    const { out, io } = capture();
    expect(await main(["token", "--secret", "S", "--tenant", "acme", "--ttl", "2h"], io)).toBe(0);
    const claims = await verifyToken(out[0]!, "S", Date.now());
    expect(claims.tenant).toBe("acme");
    expect(claims.exp! - Date.now() / 1000).toBeGreaterThan(7000);
  });

  it.each([
    { reason: "no command", argv: [], code: 2 },
    { reason: "--help", argv: ["--help"], code: 0 },
    { reason: "an unknown command", argv: ["launch"], code: 2 },
    { reason: "token without a tenant", argv: ["token", "--secret", "S"], code: 2 },
    { reason: "an unknown flag", argv: ["token", "--secret", "S", "--tenant", "t", "--colour"], code: 2 },
    { reason: "a bad ttl", argv: ["token", "--secret", "S", "--tenant", "t", "--ttl", "soon"], code: 2 },
    { reason: "serve without a secret", argv: ["serve", "--port", "0"], code: 2 },
    { reason: "an error rate above 1", argv: ["serve", "--secret", "S", "--port", "0", "--error-rate", "2"], code: 2 },
    { reason: "an unknown error code", argv: ["serve", "--secret", "S", "--port", "0", "--error-rate", "0.1", "--error-code", "BROKEN"], code: 2 },
    { reason: "a negative lost-answer rate", argv: ["serve", "--secret", "S", "--port", "0", "--lost-answer-rate", "-0.1"], code: 2 },
    { reason: "a latency without a number", argv: ["serve", "--secret", "S", "--port", "0", "--latency", "soon"], code: 2 },
  ])("exits $code on $reason", async ({ argv, code }) => {
    const previous = process.env.K3_EMULATOR_SECRET;
    delete process.env.K3_EMULATOR_SECRET;
    const { out, err, io } = capture();
    expect(await main(argv, io)).toBe(code);
    process.env.K3_EMULATOR_SECRET = previous;
    expect([...out, ...err].join("\n")).toContain("Usage:");
  });

  it("serve on a port in use ends with one line naming --port, exit 2", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const { out, err, io } = capture();
    try {
      expect(await main(["serve", "--secret", "S", "--port", String(port), "--log-level", "silent"], io)).toBe(2);
    } finally {
      blocker.close();
    }
    expect(out).toEqual([]);
    expect(err).toEqual([`k3-emulator: cannot listen on 127.0.0.1:${port}: the port is in use or not allowed; pick another with --port (0 = any free port)`]);
  });

  it("serve listens, answers calls and stops on the stop signal", async () => {
    const { out, io } = capture();
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const running = main(["serve", "--secret", "S", "--port", "0", "--time-scale", "0.01", "--log-level", "silent"], { ...io, stopSignal });
    const deadline = Date.now() + 5000;
    while (out.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const address = /listening on (\S+)/.exec(out[0] ?? "")?.[1];
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const tokenOut = capture();
    await main(["token", "--secret", "S", "--tenant", "cli"], tokenOut.io);
    const k3 = connectTestClient({ address: address!, token: tokenOut.out[0]! });
    expect((await k3.pipeline.listTemplates({})).templates).toHaveLength(3);
    k3.close();
    stop();
    expect(await running).toBe(0);
  });
});
