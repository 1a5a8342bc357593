import type { Runnable } from "./controller.js";
import { Informer, type InformerOptions } from "./informer.js";
import type { KubeClient } from "./kube-client.js";
import type { KubeObject } from "./kube-types.js";
import { type Logger, noopLogger } from "./logger.js";
import type { ResourceType } from "./resource.js";

/** Options of a `Manager`. */
export interface ManagerOptions {
  kube: KubeClient;
  /** namespaces every informer watches; all when empty */
  namespaces?: string[];
  /**
   * The label selector of every informer of a resource type (e.g. a shard's), unless the
   * informer names its own; none when it answers undefined.
   */
  labelSelectorFor?: (resource: ResourceType) => string | undefined;
  logger?: Logger;
}

/** Options of one shared informer, beyond its resource (see `InformerOptions`). */
export type SharedInformerOptions = Pick<InformerOptions, "labelSelector" | "fieldSelector" | "pageSize" | "metadataOnly">;

/**
 * Owns what controllers share: one informer per resource type (and selector), started and
 * stopped once, and the runnables (controllers) that read them. `start` starts every informer
 * and every runnable together, each runnable waiting for the caches it reads; `stop` stops
 * runnables first (in-flight work finishes against live caches), then informers.
 */
export class Manager {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly runnables: Runnable[] = [];
  private readonly logger: Logger;
  private started = false;

  constructor(private readonly options: ManagerOptions) {
    this.logger = options.logger ?? noopLogger;
  }

  /** The one informer of `resource` (created on first use); register indexes and handlers before `start`. */
  informerFor<T extends KubeObject>(resource: ResourceType, asked: SharedInformerOptions = {}): Informer<T> {
    const options = { ...asked, labelSelector: asked.labelSelector ?? this.options.labelSelectorFor?.(resource) };
    const key = [resource.group, resource.version, resource.plural, options.labelSelector ?? "", options.fieldSelector ?? "", options.metadataOnly ? "metadata" : ""].join("|");
    let informer = this.informers.get(key);
    if (!informer) {
      if (this.started) throw new Error(`informer for ${resource.plural} requested after the manager started`);
      informer = new Informer<KubeObject>({ kube: this.options.kube, resource, namespaces: this.options.namespaces, logger: this.logger, ...options });
      this.informers.set(key, informer);
    }
    // One cache per resource type serves every controller; the element type is the caller's view of it.
    return informer as unknown as Informer<T>;
  }

  /** Adds a runnable; it is started with the informers and waits itself for the caches it reads (a controller does). */
  add(runnable: Runnable): void {
    this.runnables.push(runnable);
  }

  /**
   * Starts every informer and every runnable at once. Each runnable waits for the caches it
   * reads (a controller: its own and those it watches), as controller-runtime's controllers do,
   * so a small kind's controller does not wait for a large kind's list (after a restart with
   * 10,000 rules, sources and pipelines are reconciled while the rules are still being listed).
   * Resolves once every cache listed and every runnable started.
   */
  async start(): Promise<void> {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    const synced = Promise.all([...this.informers.values()].map((i) => i.waitForSync())).then(() => {
      this.logger.info({ informers: this.informers.size }, "caches synced");
    });
    await Promise.all([synced, ...this.runnables.map((r) => r.start())]);
  }

  /** True once every informer listed and every runnable says it is synced. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced()) && this.runnables.every((r) => r.hasSynced?.() ?? true);
  }

  /** Stops runnables (in reverse order), then informers. */
  async stop(): Promise<void> {
    for (const runnable of [...this.runnables].reverse()) await runnable.stop();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
