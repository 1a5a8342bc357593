// Generated specs of all four kinds (fast-check: valid bases mutated with wrong types, unicode,
// deep nesting, unknown keys, missing fields and large strings) sent to the real apiserver.
// Each must be accepted or refused at admission with a message: never a server error, a
// dropped connection or a timeout, and the apiserver stays ready. Then the accepted ones are
// handed to the operator (against the emulator): each gets a status written for its generation,
// Ready or a False condition with a bounded message, and none is reconciled in a hot loop.
import fc from "fast-check";
import { beforeAll, describe, expect } from "vitest";
import { K3Resources } from "../../src/controllers/resources.js";
import { createKubeClient, type KubeClient, type KubeObject } from "../../src/runtime/index.js";
import { KubeApiError } from "../../src/runtime/kube-errors.js";
import { kubectlOk, kubeTest as test, testCluster } from "../support/kube.js";
import { installCrds, startTestOperator, startTestService } from "../support/operator.js";
import { validJobSpec, validPipelineSpec, validRuleSpec, validSourceSpec } from "./crd-rejections.js";

type Json = unknown;
type Path = (string | number)[];

/** Every path into `value` (objects and arrays included), the root excepted. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value as Record<string, Json>);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

type Op = { op: "set"; path: Path; value: Json } | { op: "delete"; path: Path } | { op: "add"; path: Path; key: string; value: Json };

function applyOps(base: Json, ops: Op[]): Json {
  const spec = structuredClone(base) as Record<string, Json>;
  for (const o of ops) {
    const parentPath = o.op === "add" ? o.path : o.path.slice(0, -1);
    let parent: Json = spec;
    for (const k of parentPath) parent = parent !== null && typeof parent === "object" ? (parent as Record<string | number, Json>)[k] : undefined;
    if (parent === null || typeof parent !== "object") continue; // an earlier op replaced the way there
    const target = parent as Record<string | number, Json>;
    if (o.op === "add") target[o.key] = o.value;
    else if (o.op === "set") target[o.path.at(-1)!] = o.value;
    else delete target[o.path.at(-1)!];
  }
  return spec;
}

const unicode = fc.string({ unit: "grapheme", maxLength: 40 });
const nested = fc.integer({ min: 10, max: 60 }).map((depth) => {
  let v: Json = "leaf";
  for (let i = 0; i < depth; i++) v = { [`l${i}`]: v, n: i };
  return v;
});
const large = fc.integer({ min: 4_000, max: 200_000 }).map((n) => "x".repeat(n));
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: unicode },
  { weight: 1, arbitrary: nested },
  { weight: 1, arbitrary: large },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 2 ** 53, 1.5, "", true, null, [], {}) },
);

/** A valid spec, or one to four mutations of it, or (rarely) any JSON value at all. */
function specs(base: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(base);
  const isObjectAt = (p: Path): boolean => {
    let at: Json = base;
    for (const k of p) at = (at as Record<string | number, Json>)[k];
    return at !== null && typeof at === "object" && !Array.isArray(at);
  };
  const objectPaths: Path[] = [[], ...paths.filter(isObjectAt)];
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("set" as const), path: fc.constantFrom(...paths), value }),
    fc.record({ op: fc.constant("delete" as const), path: fc.constantFrom(...paths) }),
    fc.record({ op: fc.constant("add" as const), path: fc.constantFrom(...objectPaths), key: fc.oneof(unicode, fc.constantFrom("type", "name", "x-kubernetes")), value }),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(op, { minLength: 0, maxLength: 4 }).map((ops) => applyOps(base, ops)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
}

const kinds = [
  { kind: "K3Source", base: validSourceSpec },
  { kind: "K3Pipeline", base: validPipelineSpec },
  { kind: "K3IngestRule", base: validRuleSpec },
  { kind: "K3IngestJob", base: validJobSpec },
] as const;

const RUNS = 150;

/** The longest condition message the reconcilers write (runtime's bounded(), 1024 by default). */
const MAX_MESSAGE = 1024;

/** What admission accepted, re-created for the operator in the last test. */
const accepted: { kind: (typeof kinds)[number]["kind"]; name: string; spec: Json }[] = [];

describe("fuzzed specs at admission", () => {
  let kube: KubeClient;
  beforeAll(async () => {
    await installCrds();
    kube = createKubeClient({ kubeconfigPath: testCluster().kubeconfigPath });
  });

  test.for(kinds)("$kind: every generated spec is accepted or refused with a message", { timeout: 180_000 }, async ({ kind, base }, { namespace }) => {
    let n = 0;
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(specs(base), async (spec) => {
        const name = `fuzz-${n++}`;
        try {
          await kube.create<KubeObject>(K3Resources[kind], { metadata: { namespace, name }, spec } as KubeObject);
          outcomes.accepted++;
          accepted.push({ kind, name: `${kind.toLowerCase()}-${name}`, spec });
        } catch (err) {
          // Refused at the door: 400 (malformed) or 422 (schema, CEL), always with a message.
          expect(err, String(err)).toBeInstanceOf(KubeApiError);
          const apiErr = err as KubeApiError;
          expect([400, 422], apiErr.message.slice(0, 500)).toContain(apiErr.code);
          expect(apiErr.message.replace(/^create [^:]*: /, "").trim().length).toBeGreaterThan(0);
          outcomes.refused++;
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.K3_FUZZ_SEED ?? 20261201), endOnFailure: true },
    );
    expect(outcomes.accepted + outcomes.refused).toBe(RUNS);
    // Both outcomes occur: the generator is neither all-valid nor all-garbage.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    if (process.env.K3_FUZZ_REPORT) console.log(`${kind}: ${JSON.stringify(outcomes)}`);
    expect((await kubectlOk(["get", "--raw", "/readyz"])).trim()).toBe("ok");
  });

  test("the operator reconciles every accepted spec to a status with a bounded message, without a hot loop", { timeout: 240_000 }, async ({ namespace }) => {
    expect(accepted.length).toBeGreaterThan(20);
    for (const { kind, name, spec } of accepted) await kube.create<KubeObject>(K3Resources[kind], { metadata: { namespace, name }, spec } as KubeObject);
    const service = await startTestService("crd-fuzz");
    const operator = await startTestOperator(service, ["--namespaces", namespace, "--k3-qps", "0", "--resync-period", "1h"]);
    try {
      const settled = async (): Promise<string[]> => {
        const unsettled: string[] = [];
        for (const rt of Object.values(K3Resources)) {
          for (const obj of (await kube.list<Reconciled>(rt, { namespace })).items) {
            const status = obj.status;
            const conditions = status?.conditions ?? [];
            if (status?.observedGeneration !== obj.metadata?.generation || conditions.length === 0) unsettled.push(`${rt.kind}/${obj.metadata?.name}`);
            for (const c of conditions) expect(c.message.length, `${rt.kind}/${obj.metadata?.name} ${c.type}`).toBeLessThanOrEqual(MAX_MESSAGE);
          }
        }
        return unsettled;
      };
      await expect.poll(settled, { timeout: 120_000, interval: 1000 }).toEqual([]);
      // Settled: over the next 6 s, the not-Ready objects are polled at their backoff (2 s, then
      // doubling), never in a loop. A hot loop would make thousands of passes here.
      const reconciles = async (): Promise<number> => (await operator.metrics.registry.getSingleMetric("k3_reconcile_total")!.get()).values.reduce((sum, v) => sum + v.value, 0);
      const before = { reconciles: await reconciles(), calls: service.emulator.calls.total };
      await new Promise((done) => setTimeout(done, 6_000));
      const window = { reconciles: (await reconciles()) - before.reconciles, calls: service.emulator.calls.total - before.calls };
      if (process.env.K3_FUZZ_REPORT) console.log(`accepted ${accepted.length}, in 6 s: ${JSON.stringify(window)}`);
      expect(window.reconciles).toBeLessThanOrEqual(accepted.length * 3);
      expect(window.calls).toBeLessThanOrEqual(accepted.length * 3);
    } finally {
      await operator.stop();
      await service.emulator.stop();
    }
  });
});

/** The status every kind carries, as far as this test reads it. */
interface Reconciled extends KubeObject {
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; message: string }[] };
}
