// The chaos run (issue 9): two operator replicas with leader election on a local control plane,
// the emulator failing 10 % of calls with UNAVAILABLE, losing 1 % of answers after committing
// and adding latency; objects of all four kinds created, updated and deleted in waves while the
// leader is SIGKILLed and the apiserver restarted. It ends when every surviving object is Ready
// (jobs Complete), every deleted one is gone, and the service holds exactly the objects the
// custom resources record — or at the deadline, with what is still wrong counted. Used by
// `npm run chaos` (bench/chaos.ts) and, trimmed, by test/integration/chaos.test.ts.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { apiVersion, ownerLabels } from "../../src/api/keys.js";
import { K3Resources } from "../../src/api/resources.js";
import { startControlPlane, type ControlPlane } from "../../src/controlplane/control-plane.js";
import { onParentExit, signal } from "../../src/controlplane/processes.js";
import { runCommand } from "../../src/controlplane/exec.js";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { deriveObjects, startEmulator, type EmulatorHandle } from "../../src/emulator/index.js";
import { createK3Client, sourcev1, type K3Client } from "../../src/grpc/index.js";
import { CoreTypes, createKubeClient, isAlreadyExists, isNotFound, type KubeClient, type KubeObject, type ResourceType } from "../../src/runtime/index.js";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.js";

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** custom resources across the four kinds (one source, pipeline, rule and job per group); 1,000 unless given */
  objects?: number;
  /** SIGKILLs of the leader; 3 unless given */
  leaderKills?: number;
  /** apiserver restarts (etcd kept); 1 unless given */
  apiserverRestarts?: number;
  /** share of calls failed with UNAVAILABLE; 0.1 unless given */
  errorRate?: number;
  /** share of committed calls whose answer is lost; 0.01 unless given */
  lostAnswerRate?: number;
  /** latency added to every call, ms; 20 unless given */
  latencyMs?: number;
  /** how long the end state may take after the last wave; 10 min unless given */
  convergeTimeoutMs?: number;
  /** how long a wave waits for its objects to exist remotely before it starts anyway; 3 min unless given */
  settleTimeoutMs?: number;
  /** the operators' K3 call budget (--k3-qps); 50 unless given */
  k3Qps?: number;
  /** where the operators' logs go */
  logDir: string;
  /** progress lines; silent unless given */
  report?: (line: string) => void;
  /** called once the emulator runs, before any object exists (a test adds deterministic faults here) */
  onEmulator?: (emulator: EmulatorHandle) => void;
}

/** What a chaos run found; every count but the inputs must be 0 for a pass. */
export interface ChaosReport {
  objects: { total: number; byKind: Record<string, number>; updated: number; deleted: number; surviving: number };
  faults: { unavailable: number; lostAnswers: number; latencyMs: number; leaderKills: number; apiserverRestarts: number; replicaRestarts: number };
  converged: boolean;
  /** seconds from the end of the last wave until the end state held */
  convergeSeconds: number;
  totalSeconds: number;
  duplicates: number;
  orphans: number;
  /** custom resources whose recorded remote object does not exist */
  missing: number;
  stuckFinalizers: number;
  notReady: number;
  /** secret values (tokens, credential values) found in operator logs or Events */
  leakedSecrets: number;
  k3Calls: number;
  /** the first few problems, for a person to read */
  problems: string[];
}

const kinds = [K3Resources.K3Source, K3Resources.K3Pipeline, K3Resources.K3IngestRule, K3Resources.K3IngestJob] as const;
const S3 = { bucket: "chaos-reports", region: "eu-west-1", prefix: "reports/" };
const groupsPerNamespace = 25;
const leaseNamespace = "default";

interface Group {
  ns: string;
  name: string;
  /** the namespace uses a connection Secret (tenant "chaos-team") instead of the operator's own connection */
  teamConnection: boolean;
  deleted: boolean;
  updated: boolean;
}

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string; observedGeneration?: number }[]; observedGeneration?: number } };

/** Runs the chaos scenario and returns its figures; everything it started is stopped before it returns (or on Ctrl-C). */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const report = options.report ?? ((): void => undefined);
  const started = performance.now();
  const groupCount = Math.max(1, Math.round((options.objects ?? 1000) / 4));
  const leaderKills = options.leaderKills ?? 3;
  const apiserverRestarts = options.apiserverRestarts ?? 1;
  const latencyMs = options.latencyMs ?? 20;
  await mkdir(options.logDir, { recursive: true });

  const replicas: (OperatorProcess | undefined)[] = [undefined, undefined];
  const forgetExit = onParentExit(() => {
    for (const r of replicas) if (r?.running()) signal(r.pid, "SIGKILL");
  });
  let plane: ControlPlane | undefined;
  let emulator: EmulatorHandle | undefined;
  const k3Clients: K3Client[] = [];
  let supervising = true;
  try {
    plane = await startControlPlane({ report });
    const kubeconfigPath = plane.kubeconfigPath;
    await kubectl(kubeconfigPath, ["apply", "--server-side", "-f", "crds/"]);
    await kubectl(kubeconfigPath, ["wait", "--for=condition=Established", "--timeout=60s", "-f", "crds/"]);
    emulator = await startEmulator({
      timeScale: 0.001,
      faults: {
        latencyMs,
        errorRates: { "*": { rate: options.errorRate ?? 0.1, code: GrpcStatus.UNAVAILABLE } },
        lostAnswerRates: { "*": options.lostAnswerRate ?? 0.01 },
      },
    });
    options.onEmulator?.(emulator);
    const em = emulator;
    const tokenFile = join(options.logDir, "operator.token");
    const operatorToken = em.mintToken({ tenant: "chaos", ttlSeconds: 24 * 3600 });
    const teamToken = em.mintToken({ tenant: "chaos-team", ttlSeconds: 24 * 3600 });
    await writeFile(tokenFile, operatorToken, { mode: 0o600 });
    const kube = createKubeClient({ kubeconfigPath });

    // Two replicas, restarted like a Deployment's pods when they exit (a lost Lease exits 1).
    let replicaStarts = 0;
    const startReplica = async (slot: number): Promise<void> => {
      const logFile = join(options.logDir, `operator-${slot}-${replicaStarts++}.log`);
      const proc = await startOperatorProcess({
        kubeconfigPath, k3Endpoint: em.address, k3TokenFile: tokenFile, workers: 4, resyncPeriod: "5m", k3Qps: options.k3Qps ?? 50, logFile,
        extraArgs: ["--leader-elect", "--leader-election-namespace", leaseNamespace, "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "1s"],
        readyTimeoutMs: 120_000,
      });
      replicas[slot] = proc;
      void proc.exited.then(() => restartReplica(slot));
    };
    // A replica that does not come up (a loaded machine) is tried again, as a kubelet would.
    const restartReplica = async (slot: number): Promise<void> => {
      while (supervising) {
        await sleep(1_000);
        if (!supervising) return;
        try {
          await startReplica(slot);
          return;
        } catch (err) {
          report(`cannot restart replica ${slot}, trying again: ${String(err)}`);
        }
      }
    };
    await Promise.all([startReplica(0), startReplica(1)]);

    const leader = async (): Promise<OperatorProcess | undefined> => {
      const lease = await kube.get<KubeObject & { spec?: { holderIdentity?: string } }>(CoreTypes.Lease, { namespace: leaseNamespace, name: "k3-operator" }).catch(() => undefined);
      const pid = Number(lease?.spec?.holderIdentity?.split("_")[1]);
      return replicas.find((r) => r?.pid === pid && r.running());
    };
    let kills = 0;
    const killLeader = async (): Promise<void> => {
      const deadline = Date.now() + 60_000;
      let current = await leader();
      while (!current && Date.now() < deadline) {
        await sleep(500);
        current = await leader();
      }
      if (!current) throw new Error("no leader to kill within 60 s");
      report(`SIGKILL leader pid ${current.pid}`);
      await current.kill();
      kills++;
    };

    // The objects, in groups of five (credential Secret, source, pipeline, rule, job).
    const namespaces = Math.ceil(groupCount / groupsPerNamespace);
    const groups: Group[] = Array.from({ length: groupCount }, (_, i) => ({
      ns: `chaos-${Math.floor(i / groupsPerNamespace)}`,
      name: `g${i}`,
      teamConnection: Math.floor(i / groupsPerNamespace) === 0 && namespaces > 1,
      deleted: false,
      updated: false,
    }));
    const secretValues = [operatorToken, teamToken];
    for (let n = 0; n < namespaces; n++) {
      const ns = `chaos-${n}`;
      await retrying(() => kube.create(CoreTypes.Namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
      if (n === 0 && namespaces > 1) {
        await retrying(() => kube.create(CoreTypes.Secret, { apiVersion: "v1", kind: "Secret", metadata: { name: "conn", namespace: ns }, type: "k3.dodil.io/connection", stringData: { token: teamToken } } as KubeObject));
      }
    }
    const goodKeys = deriveObjects(sourcev1.Source.fromPartial({ type: sourcev1.SourceType.SOURCE_TYPE_S3, s3: { ...S3, endpoint: "" } })).map((o) => o.key).filter((k) => !k.includes("corrupt")).slice(0, 2);
    const manifests = (g: Group): { rt: ResourceType; obj: KubeObject }[] => {
      const accessKeyId = `AKIA${randomBytes(8).toString("hex").toUpperCase()}`;
      const secretAccessKey = randomBytes(30).toString("base64").slice(0, 40);
      secretValues.push(accessKeyId, secretAccessKey);
      const conn = g.teamConnection ? { connectionRef: { name: "conn" } } : {};
      const meta = (suffix: string) => ({ name: `${g.name}-${suffix}`, namespace: g.ns });
      return [
        { rt: CoreTypes.Secret, obj: { apiVersion: "v1", kind: "Secret", metadata: meta("creds"), type: "Opaque", stringData: { accessKeyId, secretAccessKey } } as KubeObject },
        { rt: K3Resources.K3Source, obj: { apiVersion, kind: "K3Source", metadata: meta("src"), spec: { type: "S3", s3: S3, credential: { type: "AccessKey", secretRef: { name: `${g.name}-creds` } }, sync: { discoverOnCreate: false }, ...conn } } as KubeObject },
        { rt: K3Resources.K3Pipeline, obj: { apiVersion, kind: "K3Pipeline", metadata: meta("pl"), spec: { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 256 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: g.name } }], ...conn } } as KubeObject },
        { rt: K3Resources.K3IngestRule, obj: { apiVersion, kind: "K3IngestRule", metadata: meta("rule"), spec: { sourceRef: { name: `${g.name}-src` }, pipelineRef: { name: `${g.name}-pl` }, trigger: { type: "Manual" }, ...conn } } as KubeObject },
        { rt: K3Resources.K3IngestJob, obj: { apiVersion, kind: "K3IngestJob", metadata: meta("job"), spec: { ruleRef: { name: `${g.name}-rule` }, objectKeys: goodKeys } } as KubeObject },
      ];
    };

    // Wave 1: create everything; the first leader kill half-way.
    const killAt = (total: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * total) / (n + 1)));
    const waveKills = distribute(leaderKills, 3);
    const createKills = killAt(groups.length, waveKills[0]!);
    report(`wave 1: creating ${groups.length * 4} objects in ${groups.length} groups across ${namespaces} namespace(s)`);
    await inBatches(groups, 8, async (g, i) => {
      if (createKills.includes(i)) await killLeader();
      for (const { rt, obj } of manifests(g)) await retrying(() => kube.create(rt, obj), { alreadyExistsOk: true });
    });

    // Each later wave waits (bounded) until its objects exist remotely, so that updates and deletions reach the service.
    const settle = async (targets: Group[]): Promise<void> => {
      const waited = await waitReady(kube, targets, options.settleTimeoutMs ?? 180_000);
      report(`${waited.ready} of ${targets.length * 3} targeted objects Ready after ${Math.round(waited.ms / 100) / 10} s`);
    };

    // Wave 2: update a third of the groups (pipeline parameters, source display name, rule filter); the apiserver restarts half-way.
    const updates = groups.filter((_, i) => i % 3 === 0);
    const updateKills = killAt(updates.length, waveKills[1]!);
    const restarts = killAt(updates.length, apiserverRestarts);
    await settle(updates);
    report(`wave 2: updating ${updates.length * 3} objects`);
    let restarted = 0;
    await inBatches(updates, 8, async (g, i) => {
      if (updateKills.includes(i)) await killLeader();
      if (restarts.includes(i) && restarted < apiserverRestarts) {
        restarted++;
        report("restarting kube-apiserver (etcd kept)");
        await plane!.restartApiserver();
      }
      const ref = (suffix: string) => ({ namespace: g.ns, name: `${g.name}-${suffix}` });
      await retrying(() => kube.patch(K3Resources.K3Pipeline, ref("pl"), { type: "merge", body: { spec: { parameters: { chunkSize: 1024 } } } }));
      await retrying(() => kube.patch(K3Resources.K3Source, ref("src"), { type: "merge", body: { spec: { displayName: `${g.name} (updated)` } } }));
      await retrying(() => kube.patch(K3Resources.K3IngestRule, ref("rule"), { type: "merge", body: { spec: { filter: { includePaths: ["reports/**"] } } } }));
      g.updated = true;
    });

    // Wave 3: delete a quarter of the groups, all kinds and the credential Secret at once.
    const deletions = groups.filter((_, i) => i % 4 === 1);
    const deleteKills = killAt(deletions.length, waveKills[2]!);
    await settle(deletions);
    report(`wave 3: deleting ${deletions.length * 4} objects`);
    await inBatches(deletions, 8, async (g, i) => {
      if (deleteKills.includes(i)) await killLeader();
      for (const [rt, suffix] of [[K3Resources.K3IngestJob, "job"], [K3Resources.K3IngestRule, "rule"], [K3Resources.K3Source, "src"], [K3Resources.K3Pipeline, "pl"], [CoreTypes.Secret, "creds"]] as const) {
        await retrying(() => kube.delete(rt, { namespace: g.ns, name: `${g.name}-${suffix}` }), { notFoundOk: true });
      }
      g.deleted = true;
    });

    // The end state: checked until it holds or the deadline passes.
    const wavesDone = performance.now();
    report("waves done; waiting for the end state");
    // Readers of each tenant's state; the faults stay on, so they retry patiently.
    const remote = (token: string): K3Client => {
      const client = createK3Client({ endpoint: em.address, insecure: true, token: () => token, totalTimeoutMs: 120_000, retry: { maxAttempts: 50 } });
      k3Clients.push(client);
      return client;
    };
    const tenants = [remote(operatorToken), ...(namespaces > 1 ? [remote(teamToken)] : [])];
    const deadline = wavesDone + (options.convergeTimeoutMs ?? 600_000);
    let check: EndCheck;
    for (;;) {
      check = await checkEndState(kube, tenants, groups);
      if (check.ok || performance.now() > deadline) break;
      report(`not yet: ${check.summary}`);
      await sleep(5_000);
    }
    const convergeSeconds = (performance.now() - wavesDone) / 1000;
    supervising = false;
    await Promise.all(replicas.filter((r) => r !== undefined).map((r) => r.stop(10_000)));
    const leaked = await findSecrets(kube, options.logDir, secretValues);
    const byKind = Object.fromEntries(kinds.map((k) => [k.kind, groups.length]));
    return {
      objects: { total: groups.length * 4, byKind, updated: updates.length * 3, deleted: deletions.length * 4, surviving: groups.filter((g) => !g.deleted).length * 4 },
      faults: { unavailable: em.faults.injected.errors, lostAnswers: em.faults.injected.lostAnswers, latencyMs, leaderKills: kills, apiserverRestarts: restarted, replicaRestarts: replicaStarts - 2 },
      converged: check.ok,
      convergeSeconds: Math.round(convergeSeconds * 10) / 10,
      totalSeconds: Math.round((performance.now() - started) / 100) / 10,
      duplicates: check.duplicates,
      orphans: check.orphans,
      missing: check.missing,
      stuckFinalizers: check.stuckFinalizers,
      notReady: check.notReady,
      leakedSecrets: leaked.length,
      k3Calls: em.calls.total,
      problems: [...check.problems, ...leaked].slice(0, 20),
    };
  } finally {
    supervising = false;
    await Promise.all(replicas.filter((r) => r !== undefined).map((r) => r.kill()));
    forgetExit();
    for (const c of k3Clients) c.close();
    await emulator?.stop();
    await plane?.stop();
  }
}

interface EndCheck {
  ok: boolean;
  duplicates: number;
  orphans: number;
  missing: number;
  stuckFinalizers: number;
  notReady: number;
  problems: string[];
  summary: string;
}

/** Compares the custom resources with what the service holds, and counts what is not finished. */
async function checkEndState(kube: KubeClient, tenants: K3Client[], groups: Group[]): Promise<EndCheck> {
  const problems: string[] = [];
  const cluster = await clusterSide(kube, groups, problems);
  const service = await serviceSide(tenants, cluster.live, problems);
  const counts = { duplicates: service.duplicates, orphans: service.orphans, missing: service.missing, stuckFinalizers: cluster.stuckFinalizers, notReady: cluster.notReady };
  const ok = Object.values(counts).every((n) => n === 0);
  const summary = `not ready ${counts.notReady}, stuck finalizers ${counts.stuckFinalizers}, duplicates ${counts.duplicates}, orphans ${counts.orphans}, missing ${counts.missing}${problems[0] ? ` (e.g. ${problems[0]})` : ""}`;
  return { ok, ...counts, problems, summary };
}

/** The custom resources: the live ones by uid, those still deleting, and those not Ready (jobs: not Complete), not observed, or not gone. */
async function clusterSide(kube: KubeClient, groups: Group[], problems: string[]): Promise<{ live: Map<string, Obj>; stuckFinalizers: number; notReady: number }> {
  const live = new Map<string, Obj>();
  let stuckFinalizers = 0;
  let notReady = 0;
  const expected = new Set(groups.filter((g) => !g.deleted).flatMap((g) => ["src", "pl", "rule", "job"].map((s) => `${g.ns}/${g.name}-${s}`)));
  const present = new Set<string>();
  for (const rt of kinds) {
    const list = await retrying(() => kube.list<Obj>(rt));
    for (const obj of list.items) {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      present.add(key);
      const problem = objectProblem(rt, obj, expected.has(key));
      if (obj.metadata?.deletionTimestamp) stuckFinalizers++;
      else if (problem) notReady++;
      if (problem) problems.push(`${rt.kind} ${key} ${problem}`);
      if (!obj.metadata?.deletionTimestamp && expected.has(key)) live.set(obj.metadata?.uid ?? "", obj);
    }
  }
  for (const key of expected) if (!present.has(key)) {
    notReady++;
    problems.push(`${key} missing from the cluster`);
  }
  return { live, stuckFinalizers, notReady };
}

/** What is wrong with one custom resource at the end, if anything. */
function objectProblem(rt: ResourceType, obj: Obj, expected: boolean): string | undefined {
  if (obj.metadata?.deletionTimestamp) return `still deleting (finalizers ${JSON.stringify(obj.metadata.finalizers)})`;
  if (!expected) return "should be gone";
  const want = rt.kind === "K3IngestJob" ? "Complete" : "Ready";
  const cond = obj.status?.conditions?.find((c) => c.type === want);
  const current = rt.kind === "K3IngestJob" || obj.status?.observedGeneration === obj.metadata?.generation;
  if (cond?.status === "True" && current) return undefined;
  return `not ${want}: ${cond?.reason ?? "no condition"}${current ? "" : " (generation not observed)"}`;
}

/** The service side: every labelled remote object belongs to exactly one live resource, and each live resource's recorded id exists. */
async function serviceSide(tenants: K3Client[], live: Map<string, Obj>, problems: string[]): Promise<{ duplicates: number; orphans: number; missing: number }> {
  const recordedIds = new Set<string>();
  const byOwner = new Map<string, string[]>();
  let orphans = 0;
  for (const k3 of tenants) {
    for (const r of await remoteObjects(k3)) {
      recordedIds.add(r.id);
      if (!live.has(r.uid)) {
        orphans++;
        problems.push(`orphan: remote ${r.kind} ${r.id} of uid ${r.uid || "(none)"}`);
        continue;
      }
      const key = `${r.kind}/${r.uid}`;
      byOwner.set(key, [...(byOwner.get(key) ?? []), r.id]);
    }
  }
  let duplicates = 0;
  for (const [key, ids] of byOwner) if (ids.length > 1) {
    duplicates += ids.length - 1;
    problems.push(`duplicates: ${key} has ${ids.length} remote objects (${ids.join(", ")})`);
  }
  let missing = 0;
  const idField: Record<string, string> = { K3Source: "sourceId", K3Pipeline: "pipelineId", K3IngestRule: "ruleId" };
  for (const obj of live.values()) {
    const field = idField[obj.kind ?? ""];
    const id = field ? obj.status?.[field] : undefined;
    if (field && (typeof id !== "string" || !recordedIds.has(id))) {
      missing++;
      problems.push(`${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name} records ${String(id)}, which the service does not hold`);
    }
  }
  return { duplicates, orphans, missing };
}

/** A tenant's sources (the internal S3 one left out), credentials, pipelines and rules, with their owner uid labels. */
async function remoteObjects(k3: K3Client): Promise<{ kind: string; id: string; uid: string }[]> {
  const uid = (labels: Record<string, string>): string => labels[ownerLabels.uid] ?? "";
  const sources = await pages((pageToken) => k3.source.listSources({ pageSize: 500, pageToken }), (a) => a.sources);
  const credentials = await pages((pageToken) => k3.source.listCredentials({ pageSize: 500, pageToken }), (a) => a.credentials);
  const pipelines = await pages((pageToken) => k3.pipeline.listPipelines({ pageSize: 500, pageToken }), (a) => a.pipelines);
  const rules = await pages((pageToken) => k3.ingest.listRules({ pageSize: 500, pageToken }), (a) => a.rules);
  return [
    ...sources.filter((s) => s.type !== sourcev1.SourceType.SOURCE_TYPE_INTERNAL_S3).map((s) => ({ kind: "source", id: s.id, uid: uid(s.labels) })),
    ...credentials.map((c) => ({ kind: "credential", id: c.id, uid: uid(c.labels) })),
    ...pipelines.map((p) => ({ kind: "pipeline", id: p.id, uid: uid(p.labels) })),
    ...rules.map((r) => ({ kind: "rule", id: r.id, uid: uid(r.labels) })),
  ];
}

/** Polls until the sources, pipelines and rules of `groups` are Ready, or `timeoutMs` passes; says how many were and how long it took. */
async function waitReady(kube: KubeClient, groups: Group[], timeoutMs: number): Promise<{ ready: number; ms: number }> {
  const start = performance.now();
  const wanted = new Set(groups.flatMap((g) => ["src", "pl", "rule"].map((s) => `${g.ns}/${g.name}-${s}`)));
  for (;;) {
    let ready = 0;
    for (const rt of kinds.slice(0, 3)) {
      for (const obj of (await retrying(() => kube.list<Obj>(rt))).items) {
        const isReady = obj.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        if (isReady && wanted.has(`${obj.metadata?.namespace}/${obj.metadata?.name}`)) ready++;
      }
    }
    const ms = performance.now() - start;
    if (ready === wanted.size || ms > timeoutMs) return { ready, ms };
    await sleep(1_000);
  }
}

/** Every page of a List RPC. */
async function pages<A extends { nextPageToken: string }, T>(call: (pageToken: string) => Promise<A>, items: (a: A) => T[]): Promise<T[]> {
  const out: T[] = [];
  let token = "";
  do {
    const answer = await call(token);
    out.push(...items(answer));
    token = answer.nextPageToken;
  } while (token);
  return out;
}

/** The secret values found in the operators' log files or in any Event, named by where (never printed themselves). */
async function findSecrets(kube: KubeClient, logDir: string, values: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of (await readdir(logDir)).filter((f) => f.endsWith(".log"))) {
    const text = await readFile(join(logDir, file), "utf8");
    const hits = values.filter((v) => text.includes(v)).length;
    if (hits > 0) found.push(`${hits} secret value(s) in ${file}`);
  }
  const events = JSON.stringify((await retrying(() => kube.list(CoreTypes.Event))).items);
  const hits = values.filter((v) => events.includes(v)).length;
  if (hits > 0) found.push(`${hits} secret value(s) in Events`);
  return found;
}

/** Retries a call of the harness itself through an apiserver restart (connection errors, 5xx). */
async function retrying<T>(fn: () => Promise<T>, opts: { alreadyExistsOk?: boolean; notFoundOk?: boolean } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.alreadyExistsOk && isAlreadyExists(err)) return undefined as T;
      if (opts.notFoundOk && isNotFound(err)) return undefined as T;
      if (attempt >= 60) throw err;
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

/** `total` split over `parts` as evenly as possible, the first parts taking the remainder. */
function distribute(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function kubectl(kubeconfigPath: string, args: string[]): Promise<string> {
  const result = await runCommand(kubectlPath(), ["--kubeconfig", kubeconfigPath, ...args], { timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The report as rows of a two-column table. */
export function chaosTable(r: ChaosReport): [string, string][] {
  return [
    ["objects (sources/pipelines/rules/jobs)", `${r.objects.total} (${Object.values(r.objects.byKind).join("/")})`],
    ["updated / deleted / surviving", `${r.objects.updated} / ${r.objects.deleted} / ${r.objects.surviving}`],
    ["faults: UNAVAILABLE injected", String(r.faults.unavailable)],
    ["faults: answers lost after commit", String(r.faults.lostAnswers)],
    ["faults: latency per call", `${r.faults.latencyMs} ms`],
    ["leader SIGKILLs", String(r.faults.leaderKills)],
    ["apiserver restarts", String(r.faults.apiserverRestarts)],
    ["replica restarts (kills and lost Leases)", String(r.faults.replicaRestarts)],
    ["K3 calls received", String(r.k3Calls)],
    ["converged", r.converged ? "yes" : "NO"],
    ["time to converge after the last wave", `${r.convergeSeconds} s`],
    ["total run time", `${r.totalSeconds} s`],
    ["duplicates", String(r.duplicates)],
    ["orphans", String(r.orphans)],
    ["missing remote objects", String(r.missing)],
    ["stuck finalizers", String(r.stuckFinalizers)],
    ["not Ready / not gone", String(r.notReady)],
    ["secret values in logs or Events", String(r.leakedSecrets)],
  ];
}
