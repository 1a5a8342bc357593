import { describe, expect, it, vi } from "vitest";
import type { Condition } from "./conditions.js";
import { KubeApiError } from "./kube-errors.js";
import type { RecordedEvent } from "./event-recorder.js";
import { ManagedReconciler, type ManagedReconcilerOptions } from "./managed-reconciler.js";
import type { Action, ErrorClass, ExternalClient, ExternalCreation, ExternalObservation, ManagedAdapter, ManagedObject, ReconcileResult, SubStep } from "./managed-types.js";
import { createRequestId } from "./request-id.js";
import type { ResourceType } from "./resource.js";
import { newObjectWriter, type ObjectWriter } from "./status-patcher.js";
import { FakeKube } from "./testing/fake-kube.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const FINALIZER = "test.k3.dodil.io/finalizer";
const PAUSED = "test.k3.dodil.io/paused";
const NOW = new Date("2026-11-01T12:00:00Z");

interface Widget extends ManagedObject {
  spec: { size: number; externalId?: string; managementPolicy?: string; deletionPolicy?: string };
  status?: { widgetId?: string; size?: number; conditions?: Condition[]; observedGeneration?: number };
}

type Op = "refs" | "connect" | "observe" | "create" | "update" | "delete";

class ClassedError extends Error {
  constructor(
    readonly cls: ErrorClass,
    message: string,
  ) {
    super(message);
  }
}

/** The external service, built from closures: remote objects, a call log and injectable faults. */
function newWorld() {
  const kube = new FakeKube();
  const remote = new Map<string, { id: string; size: number; ownerUid: string }>();
  const byRequestId = new Map<string, string>();
  const log: string[] = [];
  const faults: Partial<Record<Op, { cls: ErrorClass; afterCommit?: boolean }>> = {};
  const requestIds: string[] = [];
  let refsReady = true;
  /** sub-steps and actions the connected client carries, and observation fields merged over observe's */
  const extras: { steps?: SubStep<Widget>[]; actions?: Action<Widget>[]; observed?: Partial<ExternalObservation>; created?: Partial<ExternalCreation> } = {};
  let deleteLeavesIt = false;
  let nextId = 1;
  const failBefore = (op: Op): void => {
    const f = faults[op];
    if (f && !f.afterCommit) throw new ClassedError(f.cls, `${op} refused`);
  };
  const failAfter = (op: Op): void => {
    const f = faults[op];
    if (f?.afterCommit) {
      delete faults[op];
      throw new ClassedError(f.cls, `${op} answer lost`);
    }
  };
  const client: ExternalClient<Widget> = {
    observe(obj) {
      log.push("observe");
      failBefore("observe");
      const recorded = obj.status?.widgetId ?? obj.spec.externalId;
      let found = recorded ? remote.get(recorded) : undefined;
      // Contract: with no recorded id, or a recorded id not found, look up by owner labels.
      if (!found && !obj.spec.externalId) found = [...remote.values()].find((r) => r.ownerUid === obj.metadata?.uid);
      if (!found) return Promise.resolve({ exists: false, upToDate: false });
      return Promise.resolve({ exists: true, upToDate: found.size === obj.spec.size, externalId: found.id, status: { size: found.size }, ...extras.observed });
    },
    create(obj, { requestId }) {
      log.push("create");
      requestIds.push(requestId);
      failBefore("create");
      const id = byRequestId.get(requestId) ?? `r${nextId++}`;
      byRequestId.set(requestId, id);
      remote.set(id, { id, size: obj.spec.size, ownerUid: obj.metadata?.uid ?? "" });
      failAfter("create");
      return Promise.resolve({ externalId: id, ...extras.created });
    },
    update(obj) {
      log.push("update");
      failBefore("update");
      const r = remote.get(obj.status?.widgetId ?? obj.spec.externalId ?? "");
      if (r) r.size = obj.spec.size;
      return Promise.resolve({ status: { size: obj.spec.size } });
    },
    delete(obj) {
      log.push("delete");
      failBefore("delete");
      if (!deleteLeavesIt) remote.delete(obj.status?.widgetId ?? "");
      failAfter("delete");
      return Promise.resolve();
    },
  };
  const adapter: ManagedAdapter<Widget> = {
    connector: {
      connect: () => {
        log.push("connect");
        return faults.connect ? Promise.reject(new ClassedError(faults.connect.cls, "token refused")) : Promise.resolve({ ...client, ...extras });
      },
    },
    classify: (err) => (err instanceof ClassedError ? err.cls : "transient"),
    getExternalId: (obj) => obj.status?.widgetId,
    setExternalId: (id) => ({ widgetId: id }),
    getSpecExternalId: (obj) => obj.spec.externalId,
    resolveReferences: () => {
      log.push("refs");
      if (faults.refs) return Promise.reject(new ClassedError(faults.refs.cls, "refs broken"));
      return Promise.resolve(refsReady ? { ready: true } : { ready: false, message: "source s1 is not ready" });
    },
  };
  const events: RecordedEvent[] = [];
  const becameReady = vi.fn();
  // The real writer over the fake apiserver, logging only the writes that happen.
  const inner = newObjectWriter<Widget>(kube, widgets);
  const counted = <A extends unknown[]>(name: string, fn: (...a: A) => Promise<Widget>) => async (...a: A): Promise<Widget> => {
    const before = kube.writes.length;
    const out = await fn(...a);
    if (kube.writes.length > before) log.push(name);
    return out;
  };
  const writer: ObjectWriter<Widget> = {
    patchStatus: counted("status", inner.patchStatus),
    addFinalizer: counted("finalizer+", inner.addFinalizer),
    removeFinalizer: counted("finalizer-", inner.removeFinalizer),
  };
  const options: ManagedReconcilerOptions<Widget> = {
    adapter,
    writer,
    finalizer: FINALIZER,
    pausedAnnotation: PAUSED,
    events: { record: (_o, e) => events.push(e) },
    metrics: { becameReady },
    random: () => 0.5,
    now: () => NOW,
  };
  return {
    kube, remote, log, faults, events, requestIds, adapter, becameReady, extras, options,
    reconciler: (more: Partial<ManagedReconcilerOptions<Widget>> = {}) => new ManagedReconciler<Widget>({ ...options, ...more }),
    setRefsReady: (v: boolean) => (refsReady = v),
    setDeleteLeavesIt: (v: boolean) => (deleteLeavesIt = v),
    seedRemote: (id: string, size: number, ownerUid = "other") => remote.set(id, { id, size, ownerUid }),
    stored: () => kube.peek<Widget>(widgets, "ns/w"),
  };
}
type World = ReturnType<typeof newWorld>;

const cond = (type: string, status: string, reason: string): Condition => ({
  type, status: status as Condition["status"], reason, message: "", lastTransitionTime: "2026-11-01T00:00:00Z", observedGeneration: 1,
});
const settled = (id: string, size: number): Widget["status"] => ({
  widgetId: id, size, observedGeneration: 1,
  conditions: [cond("Ready", "True", "Available"), cond("Synced", "True", "ReconcileSuccess")],
});

function seed(world: World, patch: { spec?: Partial<Widget["spec"]>; status?: Widget["status"]; finalizer?: boolean; deleting?: boolean; annotations?: Record<string, string> } = {}): Widget {
  return world.kube.seed(widgets, {
    metadata: {
      namespace: "ns", name: "w", uid: "uid-w", creationTimestamp: "2026-11-01T11:59:00Z",
      finalizers: patch.finalizer ? [FINALIZER] : [],
      ...(patch.deleting ? { deletionTimestamp: "2026-11-01T11:00:00Z" } : {}),
      ...(patch.annotations ? { annotations: patch.annotations } : {}),
    },
    spec: { size: 1, ...patch.spec },
    ...(patch.status ? { status: patch.status } : {}),
  });
}

interface Row {
  reason: string;
  given: (w: World) => Widget;
  log: string[];
  result: ReconcileResult["kind"];
  requeueMs?: number;
  ready?: string;
  synced?: string;
  events?: string[];
  finalizer?: boolean | "gone";
  remoteCount?: number;
}

const rows: Row[] = [
  {
    reason: "paused: Synced=False/Paused, one event, no external calls",
    given: (w) => seed(w, { annotations: { [PAUSED]: "true" }, finalizer: true }),
    log: ["status"], result: "done", synced: "Paused", events: ["Paused"],
  },
  {
    reason: "paused again: no event and no write",
    given: (w) => seed(w, { annotations: { [PAUSED]: "true" }, status: { observedGeneration: 1, conditions: [{ ...cond("Synced", "False", "Paused"), message: "reconciliation is paused via the pause annotation" }, { ...cond("Reconciling", "True", "Paused"), message: "reconciliation is paused via the pause annotation" }] } }),
    log: [], result: "done", synced: "Paused", events: [],
  },
  {
    reason: "new object: finalizer first, then observe (nothing by labels) and create",
    given: (w) => seed(w),
    log: ["finalizer+", "refs", "connect", "observe", "create", "status"], result: "requeueAfter", requeueMs: 2000,
    ready: "Creating", synced: "ReconcileSuccess", events: ["Created"], finalizer: true, remoteCount: 1,
  },
  {
    reason: "new object, the create answer says Ready: Ready=True in the one status write, no read after, the poll interval",
    given: (w) => { w.extras.created = { ready: { type: "Ready", status: "True", reason: "Available", message: "" } }; return seed(w); },
    log: ["finalizer+", "refs", "connect", "observe", "create", "status"], result: "requeueAfter", requeueMs: 300_000,
    ready: "Available", synced: "ReconcileSuccess", events: ["Created"], finalizer: true, remoteCount: 1,
  },
  {
    reason: "new object, the create answer says not active: Ready=False with its reason, looked at again soon",
    given: (w) => { w.extras.created = { ready: { type: "Ready", status: "False", reason: "Unavailable", message: "pending" } }; return seed(w); },
    log: ["finalizer+", "refs", "connect", "observe", "create", "status"], result: "requeueAfter", requeueMs: 2000,
    ready: "Unavailable", synced: "ReconcileSuccess", events: ["Created"], remoteCount: 1,
  },
  {
    reason: "new object, the create answer says Ready, a run it started is active and it calls for an event: the adapter's poll wins, both events go out",
    given: (w) => {
      w.extras.created = { ready: { type: "Ready", status: "True", reason: "Available", message: "" }, pollAfterMs: 1500, events: [{ type: "Warning", reason: "PipelineDeleted", message: "gone" }] };
      return seed(w);
    },
    log: ["finalizer+", "refs", "connect", "observe", "create", "status"], result: "requeueAfter", requeueMs: 1500, ready: "Available", events: ["Created", "PipelineDeleted"], remoteCount: 1,
  },
  {
    reason: "exists and up to date: no update, no status write, no event; poll later",
    given: (w) => { w.seedRemote("r1", 1); return seed(w, { finalizer: true, status: settled("r1", 1) }); },
    log: ["refs", "connect", "observe"], result: "requeueAfter", requeueMs: 300_000, ready: "Available", synced: "ReconcileSuccess", events: [],
  },
  {
    reason: "exists but differs: update, then the poll interval (never a quick update loop)",
    given: (w) => { w.seedRemote("r1", 5); return seed(w, { finalizer: true, status: settled("r1", 5) }); },
    log: ["refs", "connect", "observe", "update", "status"], result: "requeueAfter", requeueMs: 300_000,
    ready: "Available", synced: "ReconcileSuccess", events: ["Updated"],
  },
  {
    reason: "ObserveOnly and missing: Ready=False/NotFound; no create, no finalizer",
    given: (w) => seed(w, { spec: { managementPolicy: "ObserveOnly" } }),
    log: ["refs", "connect", "observe", "status"], result: "requeueAfter", requeueMs: 300_000,
    ready: "NotFound", synced: "ReconcileSuccess", finalizer: false, remoteCount: 0,
  },
  {
    reason: "ObserveOnly and different: reported, never updated",
    given: (w) => { w.seedRemote("r7", 9); return seed(w, { spec: { managementPolicy: "ObserveOnly", externalId: "r7" } }); },
    log: ["refs", "connect", "observe", "status"], result: "requeueAfter", ready: "Available", synced: "ReconcileSuccess", finalizer: false,
  },
  {
    reason: "adoption via spec.externalId: id recorded, nothing created",
    given: (w) => { w.seedRemote("r9", 1); return seed(w, { spec: { externalId: "r9" } }); },
    log: ["finalizer+", "refs", "connect", "observe", "status"], result: "requeueAfter", ready: "Available", remoteCount: 1,
  },
  {
    reason: "adoption of a missing id: Ready=False/NotFound, nothing created",
    given: (w) => seed(w, { spec: { externalId: "r404" } }),
    log: ["finalizer+", "refs", "connect", "observe", "status"], result: "requeueAfter", ready: "NotFound", remoteCount: 0,
  },
  {
    reason: "references not ready: Ready=False/DependencyNotReady, no connect, retry in 30 s",
    given: (w) => { w.setRefsReady(false); return seed(w); },
    log: ["finalizer+", "refs", "status"], result: "requeueAfter", requeueMs: 30_000, ready: "DependencyNotReady", synced: "ReconcileSuccess",
  },
  {
    reason: "drift: the recorded object is gone, so it is created again",
    given: (w) => seed(w, { finalizer: true, status: settled("r1", 1) }),
    log: ["refs", "connect", "observe", "create", "status"], result: "requeueAfter", ready: "Creating", events: ["Created"], remoteCount: 1,
  },
  {
    reason: "invalidSpec on create: Synced=False/InvalidSpec, no retry",
    given: (w) => { w.faults.create = { cls: "invalidSpec" }; return seed(w, { finalizer: true }); },
    log: ["refs", "connect", "observe", "create", "status"], result: "done", synced: "InvalidSpec", events: ["CannotCreate"],
  },
  {
    reason: "unauthorized on connect: Synced=False/Unauthorized, slow retry",
    given: (w) => { w.faults.connect = { cls: "unauthorized" }; return seed(w, { finalizer: true }); },
    log: ["refs", "connect", "status"], result: "requeueAfter", requeueMs: 120_000, synced: "Unauthorized", events: ["CannotConnect"],
  },
  {
    reason: "transient on observe: Synced=False/ReconcileError, backoff",
    given: (w) => { w.faults.observe = { cls: "transient" }; return seed(w, { finalizer: true }); },
    log: ["refs", "connect", "observe", "status"], result: "backoff", synced: "ReconcileError", events: ["CannotObserve"],
  },
  {
    reason: "transient while resolving references: shown, backoff",
    given: (w) => { w.faults.refs = { cls: "transient" }; return seed(w, { finalizer: true }); },
    log: ["refs", "status"], result: "backoff", synced: "ReconcileError", events: ["CannotResolveReferences"],
  },
  {
    reason: "conflict from the service: silent retry, no status write, no event",
    given: (w) => { w.faults.create = { cls: "conflict" }; return seed(w, { finalizer: true }); },
    log: ["refs", "connect", "observe", "create"], result: "backoff", events: [],
  },
  {
    reason: "notFound during update (drift mid-pass): silent retry",
    given: (w) => { w.seedRemote("r1", 5); w.faults.update = { cls: "notFound" }; return seed(w, { finalizer: true, status: settled("r1", 5) }); },
    log: ["refs", "connect", "observe", "update"], result: "backoff", events: [],
  },
  {
    reason: "notFound on observe means missing: create",
    given: (w) => { w.faults.observe = { cls: "notFound" }; return seed(w, { finalizer: true }); },
    log: ["refs", "connect", "observe", "create", "status"], result: "requeueAfter", ready: "Creating", remoteCount: 1,
  },
  {
    reason: "deletion (Delete): delete remotely, verify gone, drop the finalizer",
    given: (w) => { w.seedRemote("r1", 1, "uid-w"); return seed(w, { finalizer: true, deleting: true, status: settled("r1", 1) }); },
    log: ["connect", "observe", "delete", "observe", "finalizer-"], result: "done", events: ["Deleted"], finalizer: "gone", remoteCount: 0,
  },
  {
    reason: "deletion, remote already gone: no delete call, finalizer dropped",
    given: (w) => seed(w, { finalizer: true, deleting: true, status: settled("r1", 1) }),
    log: ["connect", "observe", "finalizer-"], result: "done", finalizer: "gone",
  },
  {
    reason: "deletion, never created (no id, nothing by labels): finalizer dropped, never stuck",
    given: (w) => seed(w, { finalizer: true, deleting: true }),
    log: ["connect", "observe", "finalizer-"], result: "done", finalizer: "gone",
  },
  {
    reason: "deletion, remote answers notFound to delete (an earlier attempt did it): success",
    given: (w) => { w.seedRemote("r1", 1); w.faults.delete = { cls: "notFound", afterCommit: true }; return seed(w, { finalizer: true, deleting: true, status: settled("r1", 1) }); },
    log: ["connect", "observe", "delete", "observe", "finalizer-"], result: "done", finalizer: "gone", remoteCount: 0,
  },
  {
    reason: "deletion (Orphan): no external calls, finalizer dropped",
    given: (w) => { w.seedRemote("r1", 1); return seed(w, { finalizer: true, deleting: true, spec: { deletionPolicy: "Orphan" }, status: settled("r1", 1) }); },
    log: ["finalizer-"], result: "done", finalizer: "gone", remoteCount: 1,
  },
  {
    reason: "deletion of an ObserveOnly object: no external calls, finalizer dropped",
    given: (w) => { w.seedRemote("r1", 1); return seed(w, { finalizer: true, deleting: true, spec: { managementPolicy: "ObserveOnly" }, status: settled("r1", 1) }); },
    log: ["finalizer-"], result: "done", finalizer: "gone", remoteCount: 1,
  },
  {
    reason: "deletion still in progress remotely: Ready=False/Deleting, check again soon",
    given: (w) => { w.seedRemote("r1", 1); w.setDeleteLeavesIt(true); return seed(w, { finalizer: true, deleting: true, status: settled("r1", 1) }); },
    log: ["connect", "observe", "delete", "observe", "status"], result: "requeueAfter", requeueMs: 2000, ready: "Deleting", finalizer: true,
  },
  {
    reason: "deletion, transient delete error: ReconcileError, finalizer kept",
    given: (w) => { w.seedRemote("r1", 1); w.faults.delete = { cls: "transient" }; return seed(w, { finalizer: true, deleting: true, status: settled("r1", 1) }); },
    log: ["connect", "observe", "delete", "status"], result: "backoff", synced: "ReconcileError", events: ["CannotDelete"], finalizer: true,
  },
  {
    reason: "deletion without our finalizer: nothing to do",
    given: (w) => seed(w, { deleting: true }),
    log: [], result: "done",
  },
  {
    reason: "paused while deleting: no external calls, finalizer kept",
    given: (w) => { w.seedRemote("r1", 1); return seed(w, { finalizer: true, deleting: true, annotations: { [PAUSED]: "true" }, status: settled("r1", 1) }); },
    log: ["status"], result: "done", synced: "Paused", finalizer: true, remoteCount: 1,
  },
];

describe("ManagedReconciler", () => {
  it.each(rows)("$reason", async (row) => {
    const world = newWorld();
    const obj = row.given(world);
    const result = await world.reconciler().reconcile(obj);
    expect(world.log).toEqual(row.log);
    expect(result.kind).toBe(row.result);
    if (row.requeueMs !== undefined && result.kind === "requeueAfter") expect(result.ms).toBe(row.requeueMs);
    const stored = world.stored();
    const conds = stored?.status?.conditions ?? [];
    if (row.ready) expect(conds.find((c) => c.type === "Ready")?.reason).toBe(row.ready);
    if (row.synced) expect(conds.find((c) => c.type === "Synced")?.reason).toBe(row.synced);
    if (row.events) expect(world.events.map((e) => e.reason)).toEqual(row.events);
    if (row.finalizer === "gone") expect(stored).toBeUndefined();
    else if (row.finalizer !== undefined) expect(stored?.metadata?.finalizers?.includes(FINALIZER) ?? false).toBe(row.finalizer);
    if (row.remoteCount !== undefined) expect(world.remote.size).toBe(row.remoteCount);
  });

  it("stamps observedGeneration on status and conditions, and records the created id", async () => {
    const world = newWorld();
    await world.reconciler().reconcile(seed(world));
    const status = world.stored()!.status!;
    expect(status.widgetId).toBe("r1");
    expect(status.observedGeneration).toBe(1);
    expect(status.conditions!.every((c) => c.observedGeneration === 1 && c.lastTransitionTime === "2026-11-01T12:00:00Z")).toBe(true);
  });

  it("a lost create answer: the next pass finds the object by owner labels and creates nothing", async () => {
    const world = newWorld();
    world.faults.create = { cls: "transient", afterCommit: true };
    const first = await world.reconciler().reconcile(seed(world));
    expect(first.kind).toBe("backoff");
    expect(world.stored()!.status!.widgetId).toBeUndefined();
    world.log.length = 0;
    const second = await world.reconciler().reconcile(world.stored()!);
    expect(world.log).toEqual(["refs", "connect", "observe", "status"]);
    expect(second.kind).toBe("requeueAfter");
    expect(world.remote.size).toBe(1);
    expect(world.stored()!.status!.widgetId).toBe("r1");
  });

  it("a create whose status write failed: the retry sends the same request id, so the service dedupes", async () => {
    const world = newWorld();
    const obj = seed(world, { finalizer: true });
    world.kube.failNext.patch = new KubeApiError(500, { message: "etcd timeout" }, "patch");
    const first = await world.reconciler().reconcile(obj);
    expect(first.kind === "backoff" && first.error?.message).toMatch(/cannot write status/);
    // Simulate a service whose label lookup has not caught up: only the request id protects us.
    world.remote.get("r1")!.ownerUid = "not-yet-indexed";
    await world.reconciler().reconcile(world.stored()!);
    expect(world.requestIds).toEqual([createRequestId("uid-w"), createRequestId("uid-w")]);
    expect(world.remote.size).toBe(1);
    expect(world.stored()!.status!.widgetId).toBe("r1");
  });

  it("converges: create, then observe → Available, then silence", async () => {
    const world = newWorld();
    const r = world.reconciler();
    await r.reconcile(seed(world));
    await r.reconcile(world.stored()!);
    expect(world.stored()!.status!.conditions!.find((c) => c.type === "Ready")?.reason).toBe("Available");
    expect(world.becameReady).toHaveBeenCalledWith(60);
    const writes = world.kube.writes.length;
    const calls = world.log.length;
    await r.reconcile(world.stored()!);
    expect(world.kube.writes.length).toBe(writes);
    expect(world.log.slice(calls)).toEqual(["refs", "connect", "observe"]);
  });

  it("a rejected spec is left alone until its generation changes: resyncs make no calls and no writes", async () => {
    const world = newWorld();
    world.faults.create = { cls: "invalidSpec" };
    const r = world.reconciler();
    await r.reconcile(seed(world, { finalizer: true }));
    world.log.length = 0;
    const writes = world.kube.writes.length;
    expect(await r.reconcile(world.stored()!)).toEqual({ kind: "done" });
    expect(world.log).toEqual([]);
    expect(world.kube.writes.length).toBe(writes);
    delete world.faults.create;
    const edited = await world.kube.patch<Widget>(widgets, { namespace: "ns", name: "w" }, { type: "merge", body: { spec: { size: 2 } } });
    expect(edited.metadata?.generation).toBe(2);
    await r.reconcile(edited);
    expect(world.log).toContain("create");
    expect(world.remote.size).toBe(1);
  });

  it.each([
    { reason: "connection refused for good in a terminating namespace: released, nothing deleted, one warning", cls: "unauthorized" as const, terminating: true, released: true },
    { reason: "an unusable connection Secret in a terminating namespace: released too", cls: "invalidSpec" as const, terminating: true, released: true },
    { reason: "connection refused in a live namespace: held (a person can restore the Secret)", cls: "unauthorized" as const, terminating: false, released: false },
    { reason: "a transient connect failure in a terminating namespace: held and retried (the service may come back)", cls: "transient" as const, terminating: true, released: false },
  ])("deletion that cannot connect: $reason", async ({ cls, terminating, released }) => {
    const world = newWorld();
    world.seedRemote("r1", 1, "uid-w");
    const obj = seed(world, { finalizer: true, deleting: true, status: settled("r1", 1) });
    world.faults.connect = { cls };
    const asked: string[] = [];
    const warnings: unknown[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (o: unknown) => void warnings.push(o), error: () => undefined, child: () => logger };
    const result = await world.reconciler({ logger, namespaceTerminating: (ns) => (asked.push(ns), Promise.resolve(terminating)) }).reconcile(obj);
    expect(world.remote.has("r1")).toBe(true);
    expect(world.log.includes("finalizer-")).toBe(released);
    expect(asked).toEqual(cls === "transient" ? [] : ["ns"]);
    if (released) {
      expect(result.kind).toBe("done");
      expect(warnings).toContainEqual(expect.objectContaining({ key: "ns/w", externalId: "r1" }));
    } else {
      expect(result.kind).not.toBe("done");
    }
  });

  it("a finalizer conflict (stale object) retries silently", async () => {
    const world = newWorld();
    const stale = seed(world);
    await world.kube.patch(widgets, { namespace: "ns", name: "w" }, { type: "merge", body: { metadata: { labels: { x: "y" } } } });
    const result = await world.reconciler().reconcile(stale);
    expect(result).toEqual({ kind: "backoff" });
    expect(world.log).toEqual([]);
    expect(world.events).toEqual([]);
  });

  it("jitters requeues by ±10 %", async () => {
    const world = newWorld();
    world.seedRemote("r1", 1);
    const obj = seed(world, { finalizer: true, status: settled("r1", 1) });
    const low = await new ManagedReconciler<Widget>({ adapter: world.adapter, writer: newObjectWriter(world.kube, widgets), finalizer: FINALIZER, pausedAnnotation: PAUSED, random: () => 0 }).reconcile(obj);
    expect(low).toEqual({ kind: "requeueAfter", ms: 270_000 });
  });
});

describe("ManagedReconciler: kstatus conditions, dependencies, sub-steps, actions", () => {
  const condOf = (w: World, type: string) => w.stored()?.status?.conditions?.find((c) => c.type === type);

  it.each([
    { reason: "a create under way is Reconciling", fault: undefined, reconciling: "Creating", stalled: undefined },
    { reason: "a rejected spec is Stalled (kstatus Failed), not Reconciling", fault: "invalidSpec" as const, reconciling: undefined, stalled: "InvalidSpec" },
    { reason: "refused credentials are Stalled", fault: "unauthorized" as const, reconciling: undefined, stalled: "Unauthorized" },
    { reason: "a transient error is Reconciling with the error's reason", fault: "transient" as const, reconciling: "ReconcileError", stalled: undefined },
    { reason: "a missing dependency is Reconciling", fault: "dependency" as const, reconciling: "DependencyNotReady", stalled: undefined },
  ])("$reason", async ({ fault, reconciling, stalled }) => {
    const world = newWorld();
    if (fault) world.faults.create = { cls: fault };
    await world.reconciler().reconcile(seed(world));
    expect(condOf(world, "Reconciling")?.reason).toBe(reconciling);
    expect(condOf(world, "Stalled")?.reason).toBe(stalled);
    if (reconciling) expect(condOf(world, "Reconciling")?.status).toBe("True");
    if (stalled) expect(condOf(world, "Stalled")?.status).toBe("True");
  });

  it("Ready drops both kstatus conditions", async () => {
    const world = newWorld();
    await world.reconciler().reconcile(seed(world));
    expect(condOf(world, "Reconciling")?.status).toBe("True");
    await world.reconciler().reconcile(world.stored()!);
    expect(condOf(world, "Ready")?.status).toBe("True");
    expect(condOf(world, "Reconciling")).toBeUndefined();
    expect(condOf(world, "Stalled")).toBeUndefined();
  });

  it("a dependency error is DependencyNotReady, retried in 30 s and never held like a bad spec", async () => {
    const world = newWorld();
    world.faults.create = { cls: "dependency" };
    const reconciler = world.reconciler();
    const first = await reconciler.reconcile(seed(world));
    expect(first).toEqual({ kind: "requeueAfter", ms: 30_000 });
    expect(condOf(world, "Ready")?.reason).toBe("DependencyNotReady");
    expect(condOf(world, "Synced")?.reason).toBe("DependencyNotReady");
    delete world.faults.create;
    world.log.length = 0;
    await reconciler.reconcile(world.stored()!);
    expect(world.log).toContain("create");
  });

  it("a rejected spec is retried at once when its inputs version changes, not before", async () => {
    const world = newWorld();
    let inputs = "secret-rv-1";
    world.adapter.inputsVersion = () => inputs;
    world.faults.create = { cls: "invalidSpec" };
    const reconciler = world.reconciler();
    await reconciler.reconcile(seed(world));
    world.log.length = 0;
    await reconciler.reconcile(world.stored()!);
    expect(world.log).toEqual([]);
    inputs = "secret-rv-2";
    await reconciler.reconcile(world.stored()!);
    expect(world.log).toContain("create");
  });

  it("a sub-step that waits stops the pass before observe: Ready=False with its reason, Stalled when a human must act", async () => {
    const world = newWorld();
    world.extras.steps = [{
      name: "credential",
      ensure: () => {
        world.log.push("step");
        return Promise.resolve({ status: { oauthUrl: "https://consent" }, wait: { reason: "AwaitingOAuthCode", message: "open the URL", stalled: true } });
      },
    }];
    const result = await world.reconciler().reconcile(seed(world));
    expect(world.log).toEqual(["finalizer+", "refs", "connect", "step", "status"]);
    expect(result).toEqual({ kind: "requeueAfter", ms: 2_000 });
    expect(condOf(world, "Ready")).toMatchObject({ status: "False", reason: "AwaitingOAuthCode", message: "open the URL" });
    expect(condOf(world, "Stalled")?.reason).toBe("AwaitingOAuthCode");
    expect((world.stored()?.status as Record<string, unknown>).oauthUrl).toBe("https://consent");
  });

  it("sub-steps run before observe and after sync; on deletion their cleanup runs after the main object is gone", async () => {
    const world = newWorld();
    world.extras.steps = [{
      name: "credential",
      ensure: () => (world.log.push("ensure"), Promise.resolve({ status: { credentialId: "c1" } })),
      afterSync: () => (world.log.push("afterSync"), Promise.resolve(undefined)),
      cleanup: () => (world.log.push("cleanup"), Promise.resolve()),
    }];
    world.seedRemote("r1", 1);
    await world.reconciler().reconcile(seed(world, { finalizer: true, status: settled("r1", 1) }));
    expect(world.log).toEqual(["refs", "connect", "ensure", "observe", "afterSync", "status"]);
    world.log.length = 0;
    await world.reconciler().reconcile(seed(world, { finalizer: true, deleting: true, status: settled("r1", 1) }));
    expect(world.log).toEqual(["connect", "observe", "delete", "observe", "cleanup", "finalizer-"]);
  });

  it("an action runs once per new requested value, with a request id derived from uid, action and value", async () => {
    const world = newWorld();
    const runs: { value: string; requestId: string }[] = [];
    world.extras.actions = [{
      name: "discovery",
      requested: (o) => o.metadata?.annotations?.["requested-discovery-at"],
      handled: (o) => (o.status as Record<string, string> | undefined)?.["lastHandledDiscoveryAt"],
      run: (_o, ctx) => {
        runs.push(ctx);
        return Promise.resolve({ status: { lastHandledDiscoveryAt: ctx.value }, event: { type: "Normal", reason: "DiscoveryRequested", message: "run" }, pollAfterMs: 1000 });
      },
    }];
    world.seedRemote("r1", 1);
    const reconciler = world.reconciler();
    const result = await reconciler.reconcile(seed(world, { finalizer: true, status: settled("r1", 1), annotations: { "requested-discovery-at": "t1" } }));
    expect(runs).toEqual([{ value: "t1", requestId: createRequestId("uid-w/discovery/t1") }]);
    expect(result).toEqual({ kind: "requeueAfter", ms: 1000 });
    expect(world.events.map((e) => e.reason)).toEqual(["DiscoveryRequested"]);
    await reconciler.reconcile(world.stored()!);
    expect(runs).toHaveLength(1);
  });

  it("a create whose answer says Ready runs the requested actions in the same pass (the next look may be minutes away)", async () => {
    const world = newWorld();
    const runs: string[] = [];
    world.extras.created = { ready: { type: "Ready", status: "True", reason: "Available", message: "" } };
    world.extras.actions = [{
      name: "discovery",
      requested: (o) => o.metadata?.annotations?.["requested-discovery-at"],
      handled: (o) => (o.status as Record<string, string> | undefined)?.["lastHandledDiscoveryAt"],
      run: (_o, ctx) => (runs.push(ctx.value), Promise.resolve({ status: { lastHandledDiscoveryAt: ctx.value }, pollAfterMs: 1000 })),
    }];
    const result = await world.reconciler().reconcile(seed(world, { annotations: { "requested-discovery-at": "t1" } }));
    expect(runs).toEqual(["t1"]);
    expect(result).toEqual({ kind: "requeueAfter", ms: 1000 });
    expect((world.stored()!.status as Record<string, unknown>)["lastHandledDiscoveryAt"]).toBe("t1");
  });

  it("an object that exists but is not Ready is looked at again soon, backing off up to the poll interval", async () => {
    const world = newWorld();
    world.extras.observed = { ready: { type: "Ready", status: "False", reason: "Unavailable", message: "pending" } };
    world.seedRemote("r1", 1);
    const reconciler = world.reconciler();
    const delays: number[] = [];
    let obj = seed(world, { finalizer: true, status: settled("r1", 1) });
    for (let i = 0; i < 3; i++) {
      const r = await reconciler.reconcile(obj);
      delays.push(r.kind === "requeueAfter" ? r.ms : -1);
      obj = world.stored()!;
    }
    expect(delays).toEqual([2_000, 4_000, 8_000]);
    world.extras.observed = undefined;
    expect(await reconciler.reconcile(obj)).toEqual({ kind: "requeueAfter", ms: 300_000 });
  });

  it.each([
    { reason: "a new object (no finalizer yet): never created, no owner-label lookup needed", given: {}, neverCreated: true },
    { reason: "an object with our finalizer: a create may have happened", given: { finalizer: true }, neverCreated: false },
    { reason: "an observed-only object is never created, but says so by policy, not by this flag", given: { spec: { managementPolicy: "ObserveOnly", externalId: "r9" } }, neverCreated: false },
  ])("observe is told whether a create was ever attempted: $reason", async ({ given, neverCreated }) => {
    const world = newWorld();
    const seen: (boolean | undefined)[] = [];
    const connect = world.adapter.connector.connect;
    world.adapter.connector = {
      connect: async (obj) => {
        const client = await connect(obj);
        return { ...client, observe: (o, ctx) => (seen.push(ctx?.neverCreated), client.observe(o, ctx)) };
      },
    };
    await world.reconciler().reconcile(seed(world, given));
    expect(seen[0]).toBe(neverCreated);
  });

  it("condition messages are the adapter's stable summary, bounded in length; the detail is not in status", async () => {
    const world = newWorld();
    world.faults.create = { cls: "transient" };
    world.adapter.summarize = () => `CreateWidget: UNAVAILABLE ${"x".repeat(40_000)}`;
    await world.reconciler().reconcile(seed(world));
    const message = condOf(world, "Synced")?.message ?? "";
    expect(message.startsWith("cannot create the external object: CreateWidget: UNAVAILABLE")).toBe(true);
    expect(message.length).toBeLessThanOrEqual(1024);
    expect(world.events[0]!.message.length).toBeLessThanOrEqual(1024);
  });
});
