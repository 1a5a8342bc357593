import { isDeepStrictEqual } from "node:util";
import { sleep, withJitter } from "./backoff.js";
import type { Informer } from "./informer.js";
import type { KubeObject } from "./kube-types.js";
import { objectKey } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import type { ReconcileResult } from "./managed-types.js";
import type { ControllerMetrics } from "./metrics.js";
import { runInReconcileContext } from "./reconcile-context.js";
import { WorkQueue, type WorkQueueOptions } from "./work-queue.js";

/** Anything that can reconcile one object (the managed reconciler, or a hand-written one). */
export interface Reconciler<T extends KubeObject> {
  reconcile(obj: T): Promise<ReconcileResult>;
  /** drops what it remembers about an object that is gone from the cache */
  forget?(obj: T): void;
}

/**
 * Events of another kind that should reconcile primary objects, declared as data: a change to
 * object `ns/x` of the watched kind enqueues the primaries that the primary informer's index
 * `index` lists under `ns/x` (e.g. index "secrets": the objects referencing each Secret), or,
 * for objects that name their primary themselves (a job naming its rule), the keys `owners` gives.
 */
export type Watch = {
  informer: Pick<Informer<KubeObject>, "addHandlers" | "start" | "stop" | "waitForSync" | "hasSynced">;
  /** which updates matter; all unless given */
  updated?(oldObj: KubeObject, newObj: KubeObject): boolean;
} & (
  | {
      /** name of an index on the primary informer whose values are `namespace/name` keys of watched objects */
      index: string;
    }
  | {
      /** the primary keys a watched object names */
      owners(obj: KubeObject): string[];
    }
);
/** Something the manager starts with its informers (it waits itself for the caches it reads) and stops before they stop. */
export interface Runnable {
  /** Starts it; the manager calls it as the informers start, so it waits itself for the caches it reads. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** true once it can serve (for /readyz); true unless given */
  hasSynced?(): boolean;
}

/** Options of a `Controller`. */
export interface ControllerOptions<T extends KubeObject> {
  /** used in logs and metrics, e.g. `k3pipeline` */
  name: string;
  informer: Informer<T>;
  reconciler: Reconciler<T>;
  /** other kinds whose changes reconcile primaries (through an index of the primary informer) */
  watches?: Watch[];
  /** the informers are shared and started/stopped by a manager, not by this controller */
  sharedInformers?: boolean;
  /**
   * The finalizer the reconciler adds before its first create. An update that only adds it is
   * the reconciler's own write in the middle of a pass that goes on: not a reason for another.
   */
  finalizer?: string;
  /** parallel workers; 2 unless given */
  workers?: number;
  /** every key is reconciled at least this often (±10 %); 10 min unless given, 0 disables */
  resyncPeriodMs?: number;
  queue?: WorkQueueOptions;
  metrics?: ControllerMetrics;
  logger?: Logger;
}

/**
 * Wires informers, a work queue and a reconciler: events enqueue keys, workers reconcile the
 * cached object by key, results become done / requeue-after / backoff, and a jittered resync
 * enqueues everything now and then. The operator's own status writes do not trigger reconciles.
 */
export class Controller<T extends KubeObject> implements Runnable {
  readonly queue: WorkQueue;
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: ControllerOptions<T>) {
    this.queue = new WorkQueue(options.queue);
    this.logger = (options.logger ?? noopLogger).child({ controller: options.name });
    const add = (obj: KubeObject): void => this.queue.add(objectKey(obj));
    options.informer.addHandlers({
      onAdd: add,
      onUpdate: (oldObj, newObj) => {
        if (needsReconcile(oldObj, newObj, options.finalizer)) add(newObj);
      },
      onDelete: (obj) => {
        options.reconciler.forget?.(obj);
        add(obj);
      },
    });
    for (const watch of options.watches ?? []) {
      const enqueue = (obj: KubeObject): void => {
        const keys = "index" in watch ? options.informer.byIndex(watch.index, objectKey(obj)) : watch.owners(obj);
        for (const key of keys) this.queue.add(key);
      };
      watch.informer.addHandlers({
        onAdd: enqueue,
        onUpdate: (oldObj, newObj) => {
          if (watch.updated?.(oldObj, newObj) ?? true) enqueue(newObj);
        },
        onDelete: enqueue,
      });
    }
  }

  /** Starts the informers, waits until they are synced, then runs workers and the resync loop until `stop`. */
  async start(): Promise<void> {
    const informers = this.informers();
    if (!this.options.sharedInformers) for (const informer of informers) informer.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    this.logger.info({}, "caches synced; starting workers");
    this.running = Promise.all([this.queue.run(this.options.workers ?? 2, (key) => this.process(key)), this.resyncLoop()]);
  }

  /** True once every informer listed at least once (for /readyz). */
  hasSynced(): boolean {
    return this.informers().every((i) => i.hasSynced());
  }

  /** Stops taking new work, lets in-flight reconciles finish, and stops the informers. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue.shutDown({ drain: false });
    await this.running;
    if (!this.options.sharedInformers) await Promise.all(this.informers().map((i) => i.stop()));
  }

  private informers(): Pick<Informer<KubeObject>, "start" | "stop" | "waitForSync" | "hasSynced">[] {
    return [this.options.informer, ...(this.options.watches ?? []).map((w) => w.informer)];
  }

  private async process(key: string): Promise<void> {
    const obj = this.options.informer.get(key);
    if (!obj) {
      // Gone from the cache: deletion was handled while the finalizer held it.
      this.queue.forget(key);
      return;
    }
    const started = performance.now();
    let result: ReconcileResult;
    try {
      result = await runInReconcileContext({ controller: this.options.name, key }, () => this.options.reconciler.reconcile(obj));
    } catch (err) {
      result = { kind: "backoff", error: err instanceof Error ? err : new Error(String(err)) };
    }
    this.options.metrics?.reconciled(result.kind === "backoff" && result.error ? "error" : result.kind, (performance.now() - started) / 1000);
    switch (result.kind) {
      case "done":
        this.queue.forget(key);
        break;
      case "requeueAfter":
        this.queue.forget(key);
        this.queue.addAfter(key, result.ms);
        break;
      case "backoff":
        if (result.error) this.logger.debug({ key, ...errorFields(result.error) }, "reconcile error; backing off");
        this.queue.addRateLimited(key);
        break;
    }
  }

  private async resyncLoop(): Promise<void> {
    const period = this.options.resyncPeriodMs ?? 600_000;
    if (period <= 0) return;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await sleep(withJitter(period, 0.1), signal);
      // Only keys with nothing scheduled: an object that already polls itself (requeue-after)
      // would otherwise be read twice per period.
      if (!signal.aborted) for (const key of this.options.informer.keys()) if (!this.queue.isScheduled(key)) this.queue.add(key);
    }
  }
}

/**
 * False for updates that only the operator's own writes cause (status, managedFields,
 * resourceVersion, and the addition of `ownFinalizer`): reconciling on them would make every
 * status write — and every first pass — trigger another pass. Spec (generation), labels,
 * annotations, other finalizer changes (a removal of ours included) and deletion always count.
 */
export function needsReconcile(oldObj: KubeObject, newObj: KubeObject, ownFinalizer?: string): boolean {
  const added = ownFinalizer !== undefined && !hasFinalizer(oldObj, ownFinalizer) && hasFinalizer(newObj, ownFinalizer);
  return !isDeepStrictEqual(significant(oldObj), significant(newObj, added ? ownFinalizer : undefined));
}

function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

function significant(obj: KubeObject, dropFinalizer?: string): unknown {
  const { status: _status, metadata, ...rest } = obj as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata ?? {};
  const finalizers = meta.finalizers?.filter((f) => f !== dropFinalizer);
  // An empty list and no list are the same to the apiserver.
  if (finalizers?.length) meta.finalizers = finalizers;
  else delete meta.finalizers;
  return { ...rest, metadata: meta };
}
