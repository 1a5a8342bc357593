import { type BackoffOptions, backoffDelay, type Random, sleep, withJitter } from "./backoff.js";
import type { KubeClient } from "./kube-client.js";
import { KubeApiError } from "./kube-errors.js";
import type { KubeObject, WatchEvent } from "./kube-types.js";
import { errorFields, type Logger } from "./logger.js";
import { apiVersionOf, type ResourceType } from "./resource.js";

/** Where a reflector delivers what it learns; the informer's cache implements it. */
export interface ReflectorSink<T extends KubeObject> {
  /** the full state of the reflector's scope after a (re)list */
  replace(namespace: string | undefined, items: T[]): void;
  upsert(obj: T): void;
  remove(obj: T): void;
}

/** Options of one list+watch loop. */
export interface ReflectorOptions {
  kube: KubeClient;
  resource: ResourceType;
  /** one namespace, or all when omitted */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** list and watch metadata only (PartialObjectMetadata) */
  metadataOnly?: boolean;
  /** asked of the apiserver per watch (jittered ±25 %), so every watch ends and is renewed */
  watchTimeoutSeconds: number;
  /** a watch silent for its timeout plus this long is presumed dead and restarted */
  watchdogGraceMs: number;
  /** reconnect delay after an error or a stream end */
  backoff: BackoffOptions;
  /** a watch that lived this long resets the reconnect backoff */
  healthyAfterMs: number;
  pageSize: number;
  logger: Logger;
  random: Random;
  onSynced(): void;
}

class WatchSilent extends Error {}

/**
 * The list+watch loop of one scope, client-go's Reflector in small: list (paged), then watch from
 * the list's resourceVersion, tracking it through events and bookmarks. Any error or stream end
 * leads to a reconnect after a jittered exponential delay (never a hot loop); 410 Gone and watch
 * ERROR events lead to a relist; a watchdog ends watches that go silent past their timeout.
 */
export class Reflector<T extends KubeObject> {
  private resourceVersion: string | undefined;
  private failures = 0;

  constructor(
    private readonly options: ReflectorOptions,
    private readonly sink: ReflectorSink<T>,
  ) {}

  /** Runs until `signal` aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger, backoff, random, healthyAfterMs } = this.options;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        if (this.resourceVersion === undefined) await this.relist(signal);
        await this.watch(signal);
      } catch (err) {
        if (signal.aborted) break;
        // An apiserver error answer (410 Gone, a watch ERROR event) means our resourceVersion
        // may be unusable: relist. Network errors and a silent watch resume from where we were.
        if (err instanceof KubeApiError) this.resourceVersion = undefined;
        logger.warn({ ...errorFields(err), namespace: this.options.namespace, relist: this.resourceVersion === undefined }, "list/watch failed; retrying");
      }
      // A watch that ended (or failed) quickly counts as a failure even without an error, so a
      // server that closes every watch at once is retried with growing delays, not in a hot loop.
      this.failures = Date.now() - started >= healthyAfterMs ? 0 : this.failures + 1;
      await sleep(withJitter(backoffDelay(this.failures, backoff), 0.2, random), signal);
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { kube, resource, namespace, labelSelector, fieldSelector, metadataOnly, pageSize } = this.options;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await kube.list<T>(resource, { namespace, labelSelector, fieldSelector, metadataOnly, limit: pageSize, continue: cont, signal });
      // List items of core types come without apiVersion/kind; events and logs need them.
      // A metadata-only list of nothing says `items: null` (Go's nil slice), not `[]`.
      for (const item of page.items ?? []) items.push({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(resource), kind: item.kind ?? resource.kind });
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? "";
    } while (cont);
    this.sink.replace(namespace, items);
    this.resourceVersion = rv;
    this.options.onSynced();
  }

  private async watch(signal: AbortSignal): Promise<void> {
    const { kube, resource, namespace, labelSelector, fieldSelector, metadataOnly, watchdogGraceMs, random } = this.options;
    const timeoutSeconds = Math.max(1, Math.round(withJitter(this.options.watchTimeoutSeconds, 0.25, random)));
    const watchAbort = new AbortController();
    const stop = (): void => watchAbort.abort();
    signal.addEventListener("abort", stop, { once: true });
    let lastActivity = Date.now();
    let silent = false;
    const silenceLimitMs = timeoutSeconds * 1000 + watchdogGraceMs;
    const watchdog = setInterval(() => {
      if (Date.now() - lastActivity > silenceLimitMs) {
        silent = true;
        watchAbort.abort();
      }
    }, Math.min(silenceLimitMs, 10_000));
    watchdog.unref();
    try {
      await kube.watch(
        resource,
        { namespace, labelSelector, fieldSelector, metadataOnly, resourceVersion: this.resourceVersion, timeoutSeconds, allowWatchBookmarks: true, signal: watchAbort.signal },
        (event) => {
          lastActivity = Date.now();
          this.apply(event);
        },
      );
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener("abort", stop);
    }
    if (silent) throw new WatchSilent(`watch silent for more than ${silenceLimitMs} ms; restarting`);
  }

  private apply(event: WatchEvent): void {
    if (event.type === "ERROR") {
      throw new KubeApiError(event.object.code ?? 500, event.object, "watch error event");
    }
    const obj = event.object as T;
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === "ADDED" || event.type === "MODIFIED") this.sink.upsert(obj);
    else if (event.type === "DELETED") this.sink.remove(obj);
  }
}
