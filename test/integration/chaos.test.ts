// The chaos run of `npm run chaos`, trimmed to fit the suite: 60 objects of the four kinds, one
// leader SIGKILL and one apiserver restart, the same service faults (10 % UNAVAILABLE, 1 % lost
// answers, latency) plus the first 24 answers of each create RPC lost: more than the K3 client's
// four attempts of each of the (at most four) creates in flight, so that every run has creates
// whose outcome is unknown to the operator (the
// next pass must adopt what the lost call made, by request id or owner labels, not create again)
// — the case a leader killed mid-create leaves, which random kills hit only sometimes. The same end checks: every surviving object Ready (jobs Complete), deleted
// ones gone, the service holding exactly what the custom resources record, no finalizer stuck,
// no secret value in any operator log or Event. A control plane of its own (it is restarted).
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, test } from "vitest";
import { chaosTable, runChaos } from "../../bench/support/chaos.js";

describe("chaos (trimmed)", () => {
  test("leader killed, apiserver restarted, service failing: nothing duplicated, orphaned, stuck or leaked", async () => {
    const logDir = await mkdtemp(join(tmpdir(), "k3-chaos-test-"));
    const result = await runChaos({
      objects: 60,
      leaderKills: 1,
      apiserverRestarts: 1,
      settleTimeoutMs: 40_000,
      convergeTimeoutMs: 90_000,
      logDir,
      onEmulator: (emulator) => {
        for (const rpc of ["CreateSource", "CreatePipeline", "CreateRule", "StoreCredential"]) emulator.faults.loseAnswerNext(rpc, 24);
      },
    });
    console.log(`[figures] chaos (trimmed): ${chaosTable(result).map(([k, v]) => `${k}: ${v}`).join("; ")}`);
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ converged: true, duplicates: 0, orphans: 0, missing: 0, stuckFinalizers: 0, notReady: 0, leakedSecrets: 0 });
    // The faults did happen.
    expect(result.faults).toMatchObject({ leaderKills: 1, apiserverRestarts: 1 });
    expect(result.faults.unavailable).toBeGreaterThan(0);
    expect(result.faults.lostAnswers).toBeGreaterThanOrEqual(4 * 24);
  }, 240_000);
});
