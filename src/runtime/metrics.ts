import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type Condition, ConditionType, getCondition } from "./conditions.js";
import type { KubeObject } from "./kube-types.js";
import type { ManagedReconcilerMetrics } from "./managed-reconciler.js";
import type { ReconcileResult } from "./managed-types.js";
import type { WorkQueueMetrics } from "./work-queue.js";

/** Hooks a controller reports each reconcile to. */
export interface ControllerMetrics {
  reconciled(result: ReconcileResult["kind"] | "error", seconds: number): void;
}

/** What the K3 client calls after every RPC (src/grpc gets this injected; it never imports prom-client itself). */
export interface ExternalCallObserver {
  /** one finished call: `operation` e.g. `CreatePipeline`, `code` e.g. `OK` / `UNAVAILABLE` */
  observe(operation: string, code: string, seconds: number): void;
}

/** Options of `OperatorMetrics`. */
export interface OperatorMetricsOptions {
  /** a registry to add to; a fresh one unless given */
  registry?: Registry;
  /** also export Node process metrics (CPU, memory, event loop); false unless given */
  processMetrics?: boolean;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The operator's Prometheus metrics: controller-runtime's reconcile and workqueue metrics,
 * outbound call counters, resource readiness gauges and time-to-ready, all prefixed `k3_`.
 */
export class OperatorMetrics {
  readonly registry: Registry;
  private readonly reconcileTotal: Counter<"controller" | "result">;
  private readonly reconcileErrors: Counter<"controller">;
  private readonly reconcileDuration: Histogram<"controller">;
  private readonly queueDepth: Gauge<"name">;
  private readonly queueAdds: Counter<"name">;
  private readonly queueRetries: Counter<"name">;
  private readonly queueLatency: Histogram<"name">;
  private readonly queueWork: Histogram<"name">;
  private readonly externalTotal: Counter<"operation" | "code">;
  private readonly externalDuration: Histogram<"operation">;
  private readonly managedCalls: Counter<"kind" | "operation" | "outcome">;
  private readonly timeToReady: Histogram<"kind">;
  private readonly trackedKinds = new Map<string, () => KubeObject[]>();
  /** 1 while this replica runs the controllers (holds the Lease, or runs without election), else 0. */
  readonly leader: Gauge;
  /** Differences between the compiled service descriptors and an endpoint's reflection, per endpoint. */
  readonly externalSchemaDifferences: Gauge<"endpoint">;
  private readonly secretReads: Counter;
  private secretsHeld: () => number = () => 0;

  constructor(options: OperatorMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "k3_" });
    this.reconcileTotal = new Counter({ name: "k3_reconcile_total", help: "Reconciles per controller and result.", labelNames: ["controller", "result"], registers });
    this.reconcileErrors = new Counter({ name: "k3_reconcile_errors_total", help: "Reconciles that failed (retried with backoff).", labelNames: ["controller"], registers });
    this.reconcileDuration = new Histogram({ name: "k3_reconcile_duration_seconds", help: "Time per reconcile.", labelNames: ["controller"], buckets: latencyBuckets, registers });
    this.queueDepth = new Gauge({ name: "k3_workqueue_depth", help: "Keys waiting for a worker.", labelNames: ["name"], registers });
    this.queueAdds = new Counter({ name: "k3_workqueue_adds_total", help: "Keys added to the work queue.", labelNames: ["name"], registers });
    this.queueRetries = new Counter({ name: "k3_workqueue_retries_total", help: "Keys re-added with backoff.", labelNames: ["name"], registers });
    this.queueLatency = new Histogram({ name: "k3_workqueue_queue_duration_seconds", help: "Time a key waits before a worker takes it.", labelNames: ["name"], buckets: latencyBuckets, registers });
    this.queueWork = new Histogram({ name: "k3_workqueue_work_duration_seconds", help: "Time a worker spends on a key.", labelNames: ["name"], buckets: latencyBuckets, registers });
    this.externalTotal = new Counter({ name: "k3_external_requests_total", help: "Calls to the K3 service per RPC and status code.", labelNames: ["operation", "code"], registers });
    this.externalDuration = new Histogram({ name: "k3_external_request_duration_seconds", help: "Duration of calls to the K3 service.", labelNames: ["operation"], buckets: latencyBuckets, registers });
    this.managedCalls = new Counter({ name: "k3_managed_operations_total", help: "Managed-reconciler steps per kind, operation and outcome (ok or error class).", labelNames: ["kind", "operation", "outcome"], registers });
    this.timeToReady = new Histogram({ name: "k3_time_to_ready_seconds", help: "Time from creation of a resource to its first Ready=True.", labelNames: ["kind"], buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers });
    // controller-runtime's leader_election_master_status: summed over the replicas of one Lease
    // (one per shard), 0 means that shard has no leader.
    this.leader = new Gauge({ name: "k3_leader", help: "1 while this replica runs the controllers (holds the Lease, or runs without leader election), 0 otherwise; by the Lease its replicas elect on.", labelNames: ["lease"], registers });
    this.externalSchemaDifferences = new Gauge({
      name: "k3_external_schema_differences",
      help: "Differences between the K3 service descriptors compiled into the operator and those the endpoint's reflection describes, checked at start; absent when the endpoint offers no reflection.",
      labelNames: ["endpoint"],
      registers,
    });
    this.secretReads = new Counter({ name: "k3_secret_reads_total", help: "Secrets read from the apiserver with their data (the watch carries metadata only).", registers });
    const held = (): number => this.secretsHeld();
    new Gauge({
      name: "k3_secrets_held",
      help: "Secrets whose data is held in memory (those an object references and that were read).",
      registers,
      collect() {
        this.set(held());
      },
    });
    const tracked = this.trackedKinds;
    new Gauge({
      name: "k3_resources",
      help: "Resources per kind and readiness (Ready condition True or not).",
      labelNames: ["kind", "ready"],
      registers,
      collect() {
        this.reset();
        for (const [kind, list] of tracked) {
          const objects = list();
          const ready = objects.filter(isReady).length;
          this.set({ kind, ready: "true" }, ready);
          this.set({ kind, ready: "false" }, objects.length - ready);
        }
      },
    });
  }

  /** Hooks for the work queue named `name`. */
  queue(name: string): WorkQueueMetrics {
    return {
      added: () => this.queueAdds.inc({ name }),
      depth: (n) => this.queueDepth.set({ name }, n),
      retried: () => this.queueRetries.inc({ name }),
      queued: (ms) => this.queueLatency.observe({ name }, ms / 1000),
      worked: (ms) => this.queueWork.observe({ name }, ms / 1000),
    };
  }

  /** Hooks for the controller named `controller`. */
  controller(controller: string): ControllerMetrics {
    return {
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ controller, result });
        // A silent backoff (a conflict) is not an error; only reconciles that failed are.
        if (result === "error") this.reconcileErrors.inc({ controller });
        this.reconcileDuration.observe({ controller }, seconds);
      },
    };
  }

  /** Hooks for the managed reconciler of `kind`. */
  reconciler(kind: string): ManagedReconcilerMetrics {
    return {
      externalCall: (operation, outcome) => this.managedCalls.inc({ kind, operation, outcome }),
      becameReady: (seconds) => this.timeToReady.observe({ kind }, seconds),
    };
  }

  /** The observer to hand to the K3 client. */
  get externalCalls(): ExternalCallObserver {
    return {
      observe: (operation, code, seconds) => {
        this.externalTotal.inc({ operation, code });
        this.externalDuration.observe({ operation }, seconds);
      },
    };
  }

  /** Hooks for the Secret store: `read` per Secret GET; `held` is asked at scrape time. */
  secretStore(held: () => number): { read(): void } {
    this.secretsHeld = held;
    return { read: () => this.secretReads.inc() };
  }

  /** Counts ready / not-ready objects of `kind` at scrape time from `list` (e.g. an informer's cache). */
  trackResources(kind: string, list: () => KubeObject[]): void {
    this.trackedKinds.set(kind, list);
  }

  /** The exposition text and its content type, for a /metrics handler. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function isReady(obj: KubeObject): boolean {
  const conditions = (obj as { status?: { conditions?: Condition[] } }).status?.conditions;
  return getCondition(conditions, ConditionType.Ready)?.status === "True";
}
