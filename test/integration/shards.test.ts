// Shards on one control plane: three operators (the default shard, `--shard a`, `--shard b`), each
// with leader election on its own Lease, against one emulator tenant. Objects labelled
// k3.dodil.io/shard go to that shard, unlabelled ones to the default shard: every K3 call an
// object causes is made by exactly one operator (each operator's log names the object of each
// call), and relabelling an object moves it. A rule must share its shard with what it references.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

const shards = ["", "a", "b"] as const;
type Shard = (typeof shards)[number];

let service: TestService;
let ns: string;
const operators = new Map<Shard, RunningOperator>();
/** Per shard, the `namespace/name` of the object behind each K3 call, in order. */
const callKeys = new Map<Shard, string[]>(shards.map((s) => [s, []]));

const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const labelled = (shard: Shard): { labels?: Record<string, string> } => (shard ? { labels: { "k3.dodil.io/shard": shard } } : {});

const pipeline = (name: string, shard: Shard, chunkSize = 512) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Pipeline",
  metadata: { name, namespace: ns, ...labelled(shard) },
  spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize }, destinations: [{ name: "main", type: "VectorStore", config: { collection: name } }] },
});
const source = (name: string, shard: Shard) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Source",
  metadata: { name, namespace: ns, ...labelled(shard) },
  spec: { type: "S3", s3: { bucket: name, region: "eu-west-1" }, credential: { type: "AccessKey", secretRef: { name: "creds" } }, sync: { discoverOnCreate: false } },
});
const rule = (name: string, shard: Shard, refs: { source: string; pipeline: string }) => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3IngestRule",
  metadata: { name, namespace: ns, ...labelled(shard) },
  spec: { sourceRef: { name: refs.source }, pipelineRef: { name: refs.pipeline }, trigger: { type: "OnNewObject" } },
});

/** Which shards made K3 calls for each object, from index `since[shard]` of their logs on. */
function callersByObject(since: Partial<Record<Shard, number>> = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const shard of shards) {
    for (const key of new Set(callKeys.get(shard)!.slice(since[shard] ?? 0))) (out[key] ??= []).push(shard || "default");
  }
  return out;
}
const position = (): Record<Shard, number> => Object.fromEntries(shards.map((s) => [s, callKeys.get(s)!.length])) as Record<Shard, number>;

beforeAll(async () => {
  await installCrds();
  service = await startTestService("shards");
  ns = (await namespacePool("shards", 1)).names[0]!;
  for (const shard of shards) {
    const keys = callKeys.get(shard)!;
    const logStream = {
      write(line: string): void {
        const entry = JSON.parse(line) as { msg?: string; key?: string };
        if (entry.msg === "k3 call" && entry.key) keys.push(entry.key);
      },
    };
    operators.set(shard, await startTestOperator(service, flagsOf(shard), logStream));
  }
});

function flagsOf(shard: string): string[] {
  return ["--resync-period", "1s", "--namespaces", ns, "--leader-elect", "--leader-election-namespace", ns, ...(shard ? ["--shard", shard] : [])];
}

afterAll(async () => {
  for (const operator of operators.values()) await operator.stop();
  await service?.emulator.stop();
});

describe("shards", () => {
  test("each shard holds its own Lease", async () => {
    const holders = await eventually(async () => {
      const found = await Promise.all(["k3-operator", "k3-operator-a", "k3-operator-b"].map(async (name) => (await getObject<{ spec: { holderIdentity?: string } }>("lease", ns, name)).spec.holderIdentity));
      expect(found.every(Boolean)).toBe(true);
      return found;
    });
    expect(new Set(holders).size, "three different holders").toBe(3);
  });

  test("k3_leader tells each shard's leader by its Lease, and a standby exports 0 (what K3LeaderAbsent groups by)", async () => {
    const leaderSeries = async (operator: RunningOperator): Promise<string[]> => (await operator.metrics.registry.metrics()).split("\n").filter((l) => l.startsWith("k3_leader{"));
    // a leader says 1 once its controllers run (its caches synced), a moment after it holds the Lease
    await eventually(async () => {
      expect(await leaderSeries(operators.get("a")!)).toEqual(['k3_leader{lease="k3-operator-a"} 1']);
      expect(await leaderSeries(operators.get("")!)).toEqual(['k3_leader{lease="k3-operator"} 1']);
    });
    const standby = await startTestOperator(service, flagsOf("a"));
    try {
      await sleep(1_000); // the standby runs and asks for the Lease; the holder keeps it
      expect(await leaderSeries(standby)).toEqual(['k3_leader{lease="k3-operator-a"} 0']);
      expect(await leaderSeries(operators.get("a")!)).toEqual(['k3_leader{lease="k3-operator-a"} 1']);
    } finally {
      await standby.stop();
    }
  });

  test("every object is reconciled by exactly one operator: its shard's, or the default shard's when unlabelled", { timeout: 90_000 }, async () => {
    await apply(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, type: "Opaque", stringData: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } },
      pipeline("plain-1", ""),
      pipeline("plain-2", ""),
      pipeline("in-a-1", "a"),
      pipeline("in-a-2", "a"),
      pipeline("in-b-1", "b"),
      source("src-a", "a"),
      rule("rule-a", "a", { source: "src-a", pipeline: "in-a-1" }),
      // Across shards: shard b cannot see src-a or in-a-2 (it makes no call for rule-b).
      rule("rule-b", "b", { source: "src-a", pipeline: "in-a-2" }),
    );
    for (const [kind, name] of [["k3pipeline", "plain-1"], ["k3pipeline", "plain-2"], ["k3pipeline", "in-a-1"], ["k3pipeline", "in-a-2"], ["k3pipeline", "in-b-1"], ["k3source", "src-a"], ["k3rule", "rule-a"]] as const) {
      await eventually(async () => expect(conditionOf(await getObject(kind, ns, name), "Ready")?.status, `${kind}/${name}`).toBe("True"), 30_000);
    }
    // Resyncs every second observe every object: over three of them, each object's calls come from one shard.
    const since = position();
    await sleep(3500);
    expect(callersByObject(since)).toEqual({
      [`${ns}/plain-1`]: ["default"],
      [`${ns}/plain-2`]: ["default"],
      [`${ns}/in-a-1`]: ["a"],
      [`${ns}/in-a-2`]: ["a"],
      [`${ns}/src-a`]: ["a"],
      [`${ns}/rule-a`]: ["a"],
      [`${ns}/in-b-1`]: ["b"],
    });
    expect(service.emulator.calls.get("CreatePipeline"), "one remote pipeline per object").toBe(5);

    // A rule whose source and pipeline are in another shard waits, and says where it looked.
    const waiting = await eventually(async () => {
      const cond = conditionOf(await getObject("k3rule", ns, "rule-b"), "Ready");
      expect(cond?.reason).toBe("DependencyNotReady");
      return cond;
    });
    expect(waiting?.message).toBe(
      "waiting for K3Source src-a (not found among objects labelled k3.dodil.io/shard=b) and K3Pipeline in-a-2 (not found among objects labelled k3.dodil.io/shard=b)",
    );
  });

  test("relabelling an object moves it: the new shard reconciles it (a spec change becomes one update), the old one lets go", { timeout: 60_000 }, async () => {
    const before = await getObject<{ status: { pipelineId: string } }>("k3pipeline", ns, "plain-2");
    await kubectlOk(["label", "k3pipeline", "plain-2", "-n", ns, "k3.dodil.io/shard=b"]);
    await eventually(() => expect(callKeys.get("b")).toContain(`${ns}/plain-2`));
    const moved = position();
    const updates = service.emulator.calls.get("UpdatePipeline");
    await apply(pipeline("plain-2", "b", 1024));
    await eventually(() => expect(service.emulator.calls.get("UpdatePipeline")).toBe(updates + 1));
    await sleep(2500);
    expect(callersByObject(moved)[`${ns}/plain-2`]).toEqual(["b"]);
    const after = await getObject<{ status: { pipelineId: string }; metadata: { generation: number } }>("k3pipeline", ns, "plain-2");
    expect(after.status.pipelineId, "the same remote pipeline, not a new one").toBe(before.status.pipelineId);
    expect(service.emulator.calls.get("CreatePipeline")).toBe(5);
    expect(conditionOf(await getObject("k3pipeline", ns, "plain-2"), "Ready")?.status).toBe("True");
  });
});
