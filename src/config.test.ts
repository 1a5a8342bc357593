import { describe, expect, it } from "vitest";
import { DEFAULT_K3_ENDPOINT, loadConfig, parseDuration } from "./config.js";

describe("loadConfig", () => {
  it("uses production defaults with nothing set", () => {
    const config = loadConfig([], {});
    expect(config.k3Endpoint).toBe(DEFAULT_K3_ENDPOINT);
    expect(config.k3Insecure).toBe(false);
    expect(config.namespaces).toEqual([]);
    expect(config.resyncPeriodMs).toBe(600_000);
  });

  it.each([
    { reason: "flag beats env", argv: ["--k3-endpoint", "a:1"], env: { K3_ENDPOINT: "b:2" }, want: "a:1" },
    { reason: "env used without flag", argv: [], env: { K3_ENDPOINT: "b:2" }, want: "b:2" },
  ])("endpoint: $reason", ({ argv, env, want }) => {
    expect(loadConfig(argv, env).k3Endpoint).toBe(want);
  });

  it("reads lease timings from flags and env, with client-go's defaults", () => {
    expect(loadConfig([], {})).toMatchObject({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    const config = loadConfig(["--lease-duration", "3s"], { RENEW_DEADLINE: "2s", RETRY_PERIOD: "300ms", LEASE_DURATION: "60s" });
    expect(config).toMatchObject({ leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 });
  });

  it("splits namespaces and reads booleans from env", () => {
    const config = loadConfig([], { WATCH_NAMESPACES: "a, b,,c", K3_INSECURE: "true" });
    expect(config.namespaces).toEqual(["a", "b", "c"]);
    expect(config.k3Insecure).toBe(true);
  });

  it("reads the shard from --shard or SHARD; none is the default shard", () => {
    expect(loadConfig([], {}).shard).toBe("");
    expect(loadConfig(["--shard", "team-a"], { SHARD: "b" }).shard).toBe("team-a");
    expect(loadConfig([], { SHARD: "b" }).shard).toBe("b");
  });

  it.each([
    { reason: "negative workers", argv: ["--workers", "-1"], message: /--workers/ },
    { reason: "bad duration", argv: ["--resync-period", "soon"], message: /invalid duration/ },
    { reason: "unknown flag", argv: ["--nope"], message: /nope/ },
    { reason: "renew deadline not shorter than the lease", argv: ["--lease-duration", "10s", "--renew-deadline", "10s"], message: /longer than the renew deadline/ },
    { reason: "retry period too close to the renew deadline", argv: ["--renew-deadline", "2s", "--retry-period", "2s"], message: /1.2 × the retry period/ },
    { reason: "a shard name that is no label value", argv: ["--shard", "Team_A"], message: /--shard \(SHARD\) must be lower-case/ },
    { reason: "a shard name longer than 63", argv: ["--shard", "a".repeat(64)], message: /--shard/ },
  ])("rejects $reason", ({ argv, message }) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
  ])("%s", (text, ms) => expect(parseDuration(text)).toBe(ms));
});
