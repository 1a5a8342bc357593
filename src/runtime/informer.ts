import type { BackoffOptions, Random } from "./backoff.js";
import type { KubeClient } from "./kube-client.js";
import { type KubeObject, objectKey } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import { Reflector, type ReflectorSink } from "./reflector.js";
import { apiVersionOf, type ResourceType } from "./resource.js";

/** Callbacks of an informer; they run synchronously and must not throw (throws are logged). */
export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Maps an object to the values it is indexed under (e.g. the names of the Secrets it references). */
export type IndexFunc<T extends KubeObject> = (obj: T) => string[];

/** Options of an `Informer`. */
export interface InformerOptions {
  kube: KubeClient;
  resource: ResourceType;
  /** namespaces to watch, one list+watch each; all namespaces when omitted or empty */
  namespaces?: string[];
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Cache metadata only (PartialObjectMetadata lists and watches, as client-go's metadata
   * informers): enough to index, watch and compare resourceVersions of objects whose content
   * is read on demand (Secrets), at a fraction of the memory.
   */
  metadataOnly?: boolean;
  /** per-watch server timeout; 300 s unless given */
  watchTimeoutSeconds?: number;
  /** extra silence tolerated past the watch timeout before the watchdog restarts it; 30 s unless given */
  watchdogGraceMs?: number;
  /** reconnect delay; 1 s doubling to 60 s unless given */
  backoff?: BackoffOptions;
  /** a watch that lived this long resets the reconnect delay; 60 s unless given */
  healthyAfterMs?: number;
  /** list page size; 500 unless given */
  pageSize?: number;
  /**
   * Applied to every object before it is cached (client-go's SetTransform): drop what nobody
   * reads. By default `metadata.managedFields` (often the larger half of a small object) and the
   * last-applied-configuration annotation go.
   */
  transform?: <O extends KubeObject>(obj: O) => O;
  logger?: Logger;
  random?: Random;
}

/**
 * A cache of one resource type kept current by list+watch, keyed `namespace/name`. Unlike
 * client-node's own informer it never stops for good: every error or stream end reconnects with
 * backoff, 410 relists (a relist reports the adds, updates and deletes it missed), a watchdog
 * restarts silent watches, and `stop()` is quiet.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys of the objects that map to it */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly reflectors: Reflector<T>[];
  private readonly pendingSync: Set<Reflector<T>>;
  private readonly syncWaiters: (() => void)[] = [];
  private readonly logger: Logger;
  private abort: AbortController | undefined;
  private running: Promise<void[]> | undefined;

  constructor(options: InformerOptions) {
    this.logger = (options.logger ?? noopLogger).child({ informer: options.resource.plural });
    const namespaces = options.namespaces?.length ? options.namespaces : [undefined];
    const transform = options.transform ?? (options.metadataOnly ? identityOf(options.resource) : withoutApplyBookkeeping);
    const sink: ReflectorSink<T> = {
      replace: (ns, items) => this.replace(ns, items.map(transform)),
      upsert: (obj) => this.upsert(transform(obj)),
      remove: (obj) => this.remove(transform(obj)),
    };
    this.reflectors = namespaces.map((namespace) => {
      const reflector: Reflector<T> = new Reflector<T>(
        {
          kube: options.kube,
          resource: options.resource,
          namespace,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          metadataOnly: options.metadataOnly,
          watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
          watchdogGraceMs: options.watchdogGraceMs ?? 30_000,
          backoff: options.backoff ?? { baseMs: 1000, maxMs: 60_000 },
          healthyAfterMs: options.healthyAfterMs ?? 60_000,
          pageSize: options.pageSize ?? 500,
          logger: this.logger,
          random: options.random ?? Math.random,
          onSynced: () => this.synced(reflector),
        },
        sink,
      );
      return reflector;
    });
    this.pendingSync = new Set(this.reflectors);
  }

  /** Registers callbacks; register before `start` to see the initial adds. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /** Starts listing and watching; a no-op when already started. */
  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = Promise.all(this.reflectors.map((r) => r.run(abort.signal)));
  }

  /** Stops every watch and resolves when they ended; emits nothing. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.running;
  }

  /** True once every namespace was listed at least once. */
  hasSynced(): boolean {
    return this.pendingSync.size === 0;
  }

  /** Resolves once `hasSynced()` is true. */
  waitForSync(): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The cached object with key `namespace/name`. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.cache.values()];
  }

  /** Every cached key. */
  keys(): string[] {
    return [...this.cache.keys()];
  }

  /**
   * Adds an index kept current with the cache, so lookups by a derived value ("which objects
   * reference Secret ns/x") cost a map read instead of a scan. Adding the same name twice is an
   * error unless it is the same function (shared informers may be asked by several controllers).
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    const existing = this.indexers.get(name);
    if (existing === fn) return;
    if (existing) throw new Error(`informer index ${name} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.cache) addToIndex(index, fn(obj), key);
  }

  /** Keys of the cached objects indexed under `value` by index `name`. */
  byIndex(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`informer has no index ${name}`);
    return [...(index.get(value) ?? [])];
  }

  private synced(reflector: Reflector<T>): void {
    this.pendingSync.delete(reflector);
    if (this.hasSynced()) for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private replace(namespace: string | undefined, items: T[]): void {
    const fresh = new Map(items.map((o) => [objectKey(o), o]));
    for (const [key, old] of this.cache) {
      const inScope = namespace === undefined || old.metadata?.namespace === namespace;
      if (inScope && !fresh.has(key)) {
        this.reindex(key, old, undefined);
        this.cache.delete(key);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    for (const obj of fresh.values()) {
      const old = this.cache.get(objectKey(obj));
      // An unchanged resourceVersion is the same object: a relist reports only what changed.
      if (!old || old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.upsert(obj);
    }
  }

  private upsert(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    this.reindex(key, old, obj);
    if (old) this.emit((h) => h.onUpdate?.(old, obj));
    else this.emit((h) => h.onAdd?.(obj));
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    this.reindex(key, this.cache.get(key), undefined);
    this.cache.delete(key);
    this.emit((h) => h.onDelete?.(obj));
  }

  private reindex(key: string, old: T | undefined, obj: T | undefined): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name);
      if (!index) continue;
      if (old) removeFromIndex(index, fn(old), key);
      if (obj) addToIndex(index, fn(obj), key);
    }
  }

  private emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.logger.error(errorFields(err), "informer handler threw");
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}

function removeFromIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    keys?.delete(key);
    if (keys?.size === 0) index.delete(value);
  }
}

/** The annotation `kubectl apply` (client-side) keeps a whole copy of the object in. */
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * The object without the bookkeeping of apply that the operator never reads: `metadata.managedFields`
 * (server-side apply) and the last-applied-configuration annotation (client-side apply, a second
 * copy of the whole spec). Other annotations stay.
 */
export function withoutApplyBookkeeping<O extends KubeObject>(obj: O): O {
  const meta = obj.metadata;
  const lastApplied = meta?.annotations?.[lastAppliedAnnotation] !== undefined;
  if (!meta || (!meta.managedFields && !lastApplied)) return obj;
  const { managedFields: _dropped, ...metadata } = meta;
  if (lastApplied && meta.annotations) {
    const { [lastAppliedAnnotation]: _copy, ...annotations } = meta.annotations;
    metadata.annotations = annotations;
  }
  return { ...obj, metadata };
}

/**
 * A metadata informer's transform: the object's identity and labels, nothing else. Annotations go
 * too, since `kubectl.kubernetes.io/last-applied-configuration` repeats a whole applied object
 * (a Secret's data included) inside its metadata.
 */
export function identityOf(resource: ResourceType): <O extends KubeObject>(obj: O) => O {
  const apiVersion = apiVersionOf(resource);
  return <O extends KubeObject>(obj: O): O => {
    const { name, namespace, uid, resourceVersion, generation, deletionTimestamp, labels } = obj.metadata ?? {};
    // The cache holds exactly this skeleton; callers of a metadata informer read no more.
    return { apiVersion, kind: resource.kind, metadata: { name, namespace, uid, resourceVersion, generation, deletionTimestamp, labels } } as O;
  };
}
