// When each object of a kind (K3Pipeline unless told) was first seen Ready=True, from a watch
// (the runtime's informer), so a latency is measured to the moment the apiserver announced the
// change, not to a poll tick.
import { isReady, type HasConditions } from "../../src/api/conditions.js";
import { K3Resources } from "../../src/controllers/resources.js";
import { Informer, keyOf, objectKey, type KubeClient, type KubeObject, type ResourceType } from "../../src/runtime/index.js";

type Tracked = KubeObject & HasConditions;

/** Records the first Ready=True of every object of one kind in some namespaces. */
export class ReadyTracker {
  private readonly informer: Informer<Tracked>;
  private readonly readyAt = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  constructor(options: { kube: KubeClient; namespaces: string[]; resource?: ResourceType }) {
    this.informer = new Informer<Tracked>({ kube: options.kube, resource: options.resource ?? K3Resources.K3Pipeline, namespaces: options.namespaces });
    const seen = (obj: Tracked): void => this.seen(obj);
    this.informer.addHandlers({ onAdd: seen, onUpdate: (_old, obj) => seen(obj) });
  }

  /** Starts watching and resolves once the first list is in. */
  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  /** Stops watching. */
  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** `performance.now()` of the first Ready=True of `namespace/name`, if seen. */
  readyTime(namespace: string, name: string): number | undefined {
    return this.readyAt.get(keyOf(namespace, name));
  }

  /** How many of the tracked objects are Ready. */
  get readyCount(): number {
    return this.readyAt.size;
  }

  /** Resolves once every object of `keys` (`namespace/name`) was seen Ready; rejects after `timeoutMs`. */
  waitReady(keys: readonly string[], timeoutMs: number): Promise<void> {
    const done = (): boolean => keys.every((k) => this.readyAt.has(k));
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const missing = keys.filter((k) => !this.readyAt.has(k));
        reject(new Error(`${missing.length} of ${keys.length} objects not Ready after ${timeoutMs} ms, e.g. ${missing.slice(0, 3).join(", ")}`));
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** The Ready and Synced conditions of the objects not yet Ready, for a failure report. */
  notReady(): { key: string; conditions: unknown }[] {
    return this.informer
      .list()
      .filter((obj) => !this.readyAt.has(objectKey(obj)))
      .map((obj) => ({ key: objectKey(obj), conditions: obj.status?.conditions ?? [] }));
  }

  /** The cached objects (their latest state as watched). */
  list(): Tracked[] {
    return this.informer.list();
  }

  private seen(obj: Tracked): void {
    const key = objectKey(obj);
    if (this.readyAt.has(key)) return;
    if (!isReady(obj)) return;
    this.readyAt.set(key, performance.now());
    for (const check of [...this.waiters]) check();
  }
}
