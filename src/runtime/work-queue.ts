import { type BackoffOptions, backoffDelay } from "./backoff.js";

/** Hooks a work queue reports to (see metrics.ts); every hook is optional. */
export interface WorkQueueMetrics {
  /** a key was added (deduplicated adds are not counted) */
  added?(): void;
  /** the number of keys waiting for a worker changed */
  depth?(n: number): void;
  /** a key was re-added with backoff after a failure */
  retried?(): void;
  /** how long a key waited between being added and being handed to a worker */
  queued?(ms: number): void;
  /** how long a worker spent on a key */
  worked?(ms: number): void;
}

/** Options of a `WorkQueue`. */
export interface WorkQueueOptions {
  /** per-key failure backoff; 5 ms doubling up to 1000 s unless given (controller-runtime's default) */
  backoff?: BackoffOptions;
  metrics?: WorkQueueMetrics;
}

/** Options of `WorkQueue.shutDown`. */
export interface ShutDownOptions {
  /** process keys already waiting before stopping (true unless given); in-flight keys always finish */
  drain?: boolean;
}

type Waiter = (key: string | undefined) => void;

/**
 * A keyed work queue, controller-runtime style: a key waits at most once (adds dedupe), is never
 * handed to two workers at once (a key added while in flight is handed out again after `done`),
 * backs off per key on failure, and supports delayed adds where the earliest deadline wins.
 * Handing a key to a worker cancels its pending delayed add, because that reconcile decides the next one.
 */
export class WorkQueue {
  private readonly waiting: string[] = [];
  /** keys that need processing: waiting, or added again while in flight */
  private readonly dirty = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private readonly drained: (() => void)[] = [];
  private shuttingDown = false;
  private dropWaiting = false;
  private readonly backoff: BackoffOptions;
  private readonly metrics: WorkQueueMetrics;

  constructor(options: WorkQueueOptions = {}) {
    this.backoff = options.backoff ?? { baseMs: 5, maxMs: 1_000_000 };
    this.metrics = options.metrics ?? {};
  }

  /** Number of keys waiting for a worker. */
  get length(): number {
    return this.waiting.length;
  }

  /** True once `shutDown` was called; adds are ignored from then on. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Marks `key` as needing processing; a no-op if it already waits or the queue is shutting down. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, Date.now());
    this.metrics.added?.();
    if (this.inFlight.has(key)) return;
    this.waiting.push(key);
    this.dispatch();
  }

  /** True when `key` waits, is being processed, or has a delayed add pending. */
  isScheduled(key: string): boolean {
    return this.dirty.has(key) || this.inFlight.has(key) || this.delayed.has(key);
  }

  /** Adds `key` after `ms`; if an earlier delayed add of the key is pending, that one wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after its per-key backoff, which grows with every call until `forget`. */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.metrics.retried?.();
    this.addAfter(key, backoffDelay(n, this.backoff));
  }

  /** Resets the backoff of `key` (call after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times `key` was re-added with backoff since the last `forget`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; `undefined` means the queue shut down and has nothing left to hand out. */
  get(): Promise<string | undefined> {
    const key = this.waiting.shift();
    if (key !== undefined) return Promise.resolve(this.handOut(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` as processed; if it was added meanwhile it waits again. */
  done(key: string): void {
    this.inFlight.delete(key);
    if (this.dropWaiting) this.dirty.delete(key);
    if (this.dirty.has(key)) {
      this.waiting.push(key);
      this.dispatch();
    }
    this.checkDrained();
  }

  /**
   * Runs `workers` loops handing keys to `handler` until the queue shuts down and drains.
   * A handler that throws has its key re-added with backoff (handlers should not throw).
   */
  async run(workers: number, handler: (key: string) => Promise<void>): Promise<void> {
    const loop = async (): Promise<void> => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        const started = Date.now();
        try {
          await handler(key);
        } catch {
          this.addRateLimited(key);
        } finally {
          this.metrics.worked?.(Date.now() - started);
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  /** Stops accepting adds, drops delayed adds, and resolves once in-flight (and, with drain, waiting) keys are done. */
  shutDown(options: ShutDownOptions = {}): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    if (options.drain === false) {
      this.dropWaiting = true;
      for (const key of this.waiting.splice(0)) this.dirty.delete(key);
      this.metrics.depth?.(0);
    }
    const done = new Promise<void>((resolve) => this.drained.push(resolve));
    this.dispatch();
    this.checkDrained();
    return done;
  }

  private handOut(key: string): string {
    this.dirty.delete(key);
    this.inFlight.add(key);
    const pending = this.delayed.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.delayed.delete(key);
    }
    const at = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (at !== undefined) this.metrics.queued?.(Date.now() - at);
    this.metrics.depth?.(this.waiting.length);
    return key;
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.waiting.length > 0) {
      const waiter = this.waiters.shift();
      const key = this.waiting.shift();
      if (waiter && key !== undefined) waiter(this.handOut(key));
    }
    this.metrics.depth?.(this.waiting.length);
    if (this.shuttingDown && this.waiting.length === 0) {
      for (const waiter of this.waiters.splice(0)) waiter(undefined);
    }
  }

  private checkDrained(): void {
    if (this.shuttingDown && this.waiting.length === 0 && this.inFlight.size === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
    }
  }
}
