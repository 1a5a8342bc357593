import type { JsonPatchOp, KubeClient, ListOptions, ObjectRef, Patch, PatchOptions, WatchOptions } from "../kube-client.js";
import { KubeApiError } from "../kube-errors.js";
import { keyOf, type KubeList, type KubeObject, type WatchEvent } from "../kube-types.js";
import { apiVersionOf, type ResourceType } from "../resource.js";

/** One open watch of a `FakeKube`; tests can inject events, end it or fail it. */
export interface FakeWatch {
  resource: string;
  options: WatchOptions;
  emit(event: WatchEvent): void;
  end(): void;
  fail(err: Error): void;
  readonly closed: boolean;
}

/** A recorded write, for tests that count apiserver writes. */
export interface FakeWrite {
  verb: "create" | "patch" | "update" | "delete";
  resource: string;
  key: string;
  patch?: Patch;
  subresource?: string;
}

type Obj = KubeObject & Record<string, unknown>;

/**
 * An in-memory `KubeClient` for unit tests: objects per resource plural, resourceVersions,
 * generation bumps on spec changes, the status subresource, finalizer-gated deletion,
 * resourceVersion preconditions in merge patches, and watches fed by every change.
 */
export class FakeKube implements KubeClient {
  readonly objects = new Map<string, Map<string, Obj>>();
  readonly watches: FakeWatch[] = [];
  readonly writes: FakeWrite[] = [];
  /** when set, the next calls of that verb fail with it (then it is cleared) */
  failNext: Partial<Record<"get" | "list" | "create" | "patch" | "update" | "delete", Error>> = {};
  private rv = 100;

  /** Stores `obj` directly (no event), as if it existed before the test. */
  seed<T extends KubeObject>(rt: ResourceType, obj: T): T {
    const stored = this.stamp(rt, structuredClone(obj) as Obj, { generation: obj.metadata?.generation ?? 1 });
    this.bucket(rt).set(keyOf(obj.metadata?.namespace, obj.metadata?.name ?? ""), stored);
    return structuredClone(stored) as T;
  }

  get<T extends KubeObject>(rt: ResourceType, ref: ObjectRef): Promise<T> {
    return settle(() => {
      this.maybeFail("get");
      const obj = this.bucket(rt).get(keyOf(ref.namespace, ref.name));
      if (!obj) throw new KubeApiError(404, { reason: "NotFound", message: `${ref.name} not found` }, "get");
      return structuredClone(obj) as T;
    });
  }

  list<T extends KubeObject>(rt: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    return settle(() => {
      this.maybeFail("list");
      const items = [...this.bucket(rt).values()].filter((o) => !options.namespace || o.metadata?.namespace === options.namespace);
      return { metadata: { resourceVersion: String(this.rv) }, items: structuredClone(items) as T[] };
    });
  }

  watch(rt: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let closed = false;
      const close = (err?: Error): void => {
        if (closed) return;
        closed = true;
        if (err) reject(err);
        else resolve();
      };
      const session: FakeWatch = {
        resource: rt.plural,
        options,
        emit: (event) => {
          if (closed) return;
          try {
            onEvent(structuredClone(event));
          } catch (err) {
            close(err as Error);
          }
        },
        end: () => close(),
        fail: (err) => close(err),
        get closed() {
          return closed;
        },
      };
      options.signal.addEventListener("abort", () => close(), { once: true });
      this.watches.push(session);
    });
  }

  create<T extends KubeObject>(rt: ResourceType, obj: T): Promise<T> {
    return settle(() => {
      this.maybeFail("create");
      const key = keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "");
      if (this.bucket(rt).has(key)) throw new KubeApiError(409, { reason: "AlreadyExists" }, "create");
      const stored = this.stamp(rt, structuredClone(obj) as Obj, { generation: 1 });
      this.bucket(rt).set(key, stored);
      this.writes.push({ verb: "create", resource: rt.plural, key });
      this.notify(rt, "ADDED", stored);
      return structuredClone(stored) as T;
    });
  }

  patch<T extends KubeObject>(rt: ResourceType, ref: ObjectRef, patch: Patch, options: PatchOptions = {}): Promise<T> {
    return settle(() => {
      this.maybeFail("patch");
      const key = keyOf(ref.namespace, ref.name);
      const current = this.bucket(rt).get(key);
      if (!current) throw new KubeApiError(404, { reason: "NotFound" }, "patch");
      this.writes.push({ verb: "patch", resource: rt.plural, key, patch, subresource: options.subresource });
      const next = patch.type === "merge" ? applyMerge(current, patch.body, options.subresource) : applyJsonPatch(current, patch.ops);
      const specChanged = JSON.stringify(withoutMetaStatus(next)) !== JSON.stringify(withoutMetaStatus(current));
      const generation = (current.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
      return this.store(rt, key, next, generation) as T;
    });
  }

  update<T extends KubeObject>(rt: ResourceType, obj: T): Promise<T> {
    return settle(() => {
      this.maybeFail("update");
      const key = keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "");
      const current = this.bucket(rt).get(key);
      if (!current) throw new KubeApiError(404, { reason: "NotFound" }, "update");
      if (obj.metadata?.resourceVersion !== undefined && obj.metadata.resourceVersion !== current.metadata?.resourceVersion) {
        throw new KubeApiError(409, { reason: "Conflict", message: "the object has been modified" }, "update");
      }
      this.writes.push({ verb: "update", resource: rt.plural, key });
      const next = { ...(structuredClone(obj) as Obj), status: current.status };
      const specChanged = JSON.stringify(withoutMetaStatus(next)) !== JSON.stringify(withoutMetaStatus(current));
      return this.store(rt, key, next, (current.metadata?.generation ?? 1) + (specChanged ? 1 : 0)) as T;
    });
  }

  delete(rt: ResourceType, ref: ObjectRef): Promise<void> {
    return settle(() => {
      this.maybeFail("delete");
      const key = keyOf(ref.namespace, ref.name);
      const current = this.bucket(rt).get(key);
      if (!current) throw new KubeApiError(404, { reason: "NotFound" }, "delete");
      this.writes.push({ verb: "delete", resource: rt.plural, key });
      if (current.metadata?.deletionTimestamp) return;
      const next = { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString() } };
      this.store(rt, key, next, current.metadata?.generation ?? 1);
    });
  }

  /** The stored object (a copy), or undefined. */
  peek<T extends KubeObject>(rt: ResourceType, key: string): T | undefined {
    const obj = this.bucket(rt).get(key);
    return obj ? (structuredClone(obj) as T) : undefined;
  }

  /** Open watches of `plural`. */
  openWatches(plural: string): FakeWatch[] {
    return this.watches.filter((w) => w.resource === plural && !w.closed);
  }

  private store(rt: ResourceType, key: string, next: Obj, generation: number): Obj {
    const stamped = this.stamp(rt, next, { generation });
    if (stamped.metadata?.deletionTimestamp && !stamped.metadata.finalizers?.length) {
      this.bucket(rt).delete(key);
      this.notify(rt, "DELETED", stamped);
    } else {
      this.bucket(rt).set(key, stamped);
      this.notify(rt, "MODIFIED", stamped);
    }
    return structuredClone(stamped);
  }

  private stamp(rt: ResourceType, obj: Obj, { generation }: { generation: number }): Obj {
    this.rv++;
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
    obj.metadata = {
      ...obj.metadata,
      uid: obj.metadata?.uid ?? `uid-${obj.metadata?.name ?? ""}`,
      resourceVersion: String(this.rv),
      generation,
    };
    return obj;
  }

  private notify(rt: ResourceType, type: "ADDED" | "MODIFIED" | "DELETED", obj: Obj): void {
    for (const w of this.openWatches(rt.plural)) {
      if (!w.options.namespace || w.options.namespace === obj.metadata?.namespace) w.emit({ type, object: obj });
    }
  }

  private bucket(rt: ResourceType): Map<string, Obj> {
    let b = this.objects.get(rt.plural);
    if (!b) this.objects.set(rt.plural, (b = new Map<string, Obj>()));
    return b;
  }

  private maybeFail(verb: keyof FakeKube["failNext"]): void {
    const err = this.failNext[verb];
    if (err) {
      delete this.failNext[verb];
      throw err;
    }
  }
}

function settle<R>(fn: () => R): Promise<R> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** A merge patch as the apiserver applies it: resourceVersion is a precondition; status only via the subresource. */
function applyMerge(current: Obj, patchBody: unknown, subresource: string | undefined): Obj {
  const body = structuredClone(patchBody) as Obj;
  const wantRv = body.metadata?.resourceVersion;
  if (wantRv !== undefined && wantRv !== current.metadata?.resourceVersion) {
    throw new KubeApiError(409, { reason: "Conflict", message: "the object has been modified" }, "patch");
  }
  if (body.metadata) delete body.metadata.resourceVersion;
  if (subresource === "status") return { ...current, status: mergePatch(current.status, body.status) };
  delete body.status;
  return mergePatch(current, body) as Obj;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function applyJsonPatch(obj: Obj, ops: JsonPatchOp[]): Obj {
  const out = structuredClone(obj) as Record<string, unknown>;
  for (const op of ops) {
    const parts = op.path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = parts.pop() ?? "";
    let parent: Record<string, unknown> = out;
    for (const p of parts) parent = (parent[p] ??= {}) as Record<string, unknown>;
    if (op.op === "test" && JSON.stringify(parent[last]) !== JSON.stringify(op.value)) {
      throw new KubeApiError(422, { reason: "Invalid", message: `test failed at ${op.path}` }, "patch");
    }
    if (op.op === "remove") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === "add" || op.op === "replace") {
      if (Array.isArray(parent) && last === "-") parent.push(op.value);
      else parent[last] = op.value;
    }
  }
  return out;
}

function withoutMetaStatus(obj: Obj): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** A `KubeClient` that forwards to `kube` except for the calls in `overrides` (for fault injection and write counting in tests). */
export function delegatingKube(kube: KubeClient, overrides: Partial<KubeClient>): KubeClient {
  return {
    get: (rt, ref, options) => kube.get(rt, ref, options),
    list: (rt, options) => kube.list(rt, options),
    watch: (rt, options, onEvent) => kube.watch(rt, options, onEvent),
    create: (rt, obj, options) => kube.create(rt, obj, options),
    patch: (rt, ref, patch, options) => kube.patch(rt, ref, patch, options),
    update: (rt, obj, options) => kube.update(rt, obj, options),
    delete: (rt, ref) => kube.delete(rt, ref),
    ...overrides,
  };
}
