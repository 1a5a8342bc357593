import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { hostname } from "node:os";
import type { Logger as PinoLogger } from "pino";
import { group, shardScope, shardSelector } from "./api/keys.js";
import type { OperatorConfig } from "./config.js";
import { reportServiceSchema } from "./service-schema-report.js";
import { Connections } from "./controllers/connection.js";
import type { ControllerDeps } from "./controllers/managed-controller.js";
import { newControllers } from "./controllers/index.js";
import {
  CoreTypes,
  createKubeClient,
  currentReconcile,
  LeaderElector,
  Manager,
  newEventRecorder,
  OperatorMetrics,
  SecretStore,
  TokenBucket,
} from "./runtime/index.js";

/** A running operator. */
export interface RunningOperator {
  /** Port of /metrics, /healthz and /readyz (0 when off). */
  port: number;
  metrics: OperatorMetrics;
  /** The Secret cache: metadata of every watched Secret, data only of those objects reference. */
  secrets: SecretStore;
  /** Stops controllers (in-flight reconciles finish), releases the Lease and closes channels. */
  stop(): Promise<void>;
}

/** What the embedding program decides for the operator (main.ts: exit the process). */
export interface OperatorHooks {
  /**
   * Called at once when the Lease is lost (another replica took it). Default: the controllers
   * stop and the operator stays stopped; main.ts exits 1 instead, so the pod restarts clean.
   */
  onLeaderLost?: () => void;
}

/** Starts the operator: controllers for every kind, health and metrics endpoints, leader election. */
export async function startOperator(config: OperatorConfig, logger: PinoLogger, hooks: OperatorHooks = {}): Promise<RunningOperator> {
  const kube = createKubeClient({ kubeconfigPath: config.kubeconfig || undefined });
  const metrics = new OperatorMetrics({ processMetrics: true });
  const ca = config.k3CaFile ? readFileSync(config.k3CaFile) : undefined;
  // One informer per resource type, shared by every controller. Secrets are watched metadata-only
  // (the watches that reconcile objects when a Secret they use changes need no data) and read on
  // demand: memory does not grow with the cluster's other Secrets (Helm releases, tokens...).
  // A shard's informers of the four kinds select its objects only (`--shard`); other types are not sharded.
  const labelSelectorFor = (rt: { group: string }): string | undefined => (rt.group === group ? shardSelector(config.shard) : undefined);
  const manager = new Manager({ kube, namespaces: config.namespaces, logger, labelSelectorFor });
  const secretMetrics = metrics.secretStore(() => secrets.heldKeys().length);
  const secrets: SecretStore = new SecretStore({
    kube,
    metadata: manager.informerFor(CoreTypes.Secret, { metadataOnly: true }),
    onRead: () => secretMetrics.read(),
  });
  const connections = new Connections({
    defaults: {
      endpoint: config.k3Endpoint,
      insecure: config.k3Insecure,
      tokenFile: config.k3TokenFile || undefined,
      ca,
    },
    allowInsecure: config.allowInsecureConnections,
    secrets,
    limiter: config.k3Qps > 0 ? new TokenBucket({ qps: config.k3Qps, burst: config.k3Qps * 2 }) : undefined,
    onCall: (call) => {
      metrics.externalCalls.observe(call.rpc, call.code, call.durationMs / 1000);
      logger.debug({ ...currentReconcile(), rpc: call.rpc, code: call.code, ms: Math.round(call.durationMs), attempt: call.attempt, requestId: call.requestId }, "k3 call");
    },
    // Retries are logged by the client; each line names the resource being reconciled.
    logger: {
      debug: (obj, msg) => logger.debug({ ...currentReconcile(), ...obj }, msg),
      warn: (obj, msg) => logger.warn({ ...currentReconcile(), ...obj }, msg),
    },
  });
  const deps: ControllerDeps = {
    kube,
    manager,
    events: newEventRecorder({ kube, component: "k3-operator", instance: hostname(), logger }),
    metrics,
    logger,
    secrets,
    workers: config.workers,
    resyncPeriodMs: config.resyncPeriodMs,
    pollIntervalMs: config.resyncPeriodMs,
    lookedIn: shardScope(config.shard),
  };
  for (const controller of newControllers(deps, connections)) manager.add(controller);

  // Every replica exports the series from the start, standbys with 0: a shard whose replicas
  // all run and none leads is then visible (max by lease is 0), not absent.
  const lease = leaseName(config.shard);
  const leading = (value: 0 | 1): void => metrics.leader.set({ lease }, value);
  leading(0);
  let ready = false;
  let elector: LeaderElector | undefined;
  let stopping = false;
  const startControllers = async (): Promise<void> => {
    await manager.start();
    ready = true;
    leading(1);
    logger.info({}, "controllers started");
  };

  // A standby replica (waiting for the Lease) is ready too, as in controller-runtime: otherwise a
  // rolling update's new pod could never become ready while the old one holds the Lease.
  const isReady = (): boolean => ready || (elector !== undefined && !elector.isLeader() && !stopping);
  // Not awaited: the controllers never wait for a courtesy check of the endpoint.
  const schemaCheck = new AbortController();
  const schemaReport = reportServiceSchema(config, ca, logger, metrics, schemaCheck.signal);
  const server = config.metricsPort > 0 ? await serveHttp(config.metricsPort, metrics, isReady) : undefined;
  const port = server ? (server.address() as { port: number }).port : 0;

  if (config.leaderElection) {
    elector = new LeaderElector({
      kube,
      namespace: config.leaderElectionNamespace,
      name: lease,
      identity: `${hostname()}_${process.pid}_${randomBytes(3).toString("hex")}`,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      logger,
      onStartedLeading: () => void startControllers(),
      // Like controller-runtime: a replica that lost the Lease stops acting at once, and its
      // program (main.ts) exits to restart clean. The elector also calls this when stop()
      // releases the Lease: that is no loss.
      onStoppedLeading: () => {
        if (stopping) return;
        logger.error({}, "leader election lost; stopping");
        stopping = true;
        ready = false;
        leading(0);
        // The hook runs first and at once: main.ts exits before any in-flight reconcile writes again.
        if (hooks.onLeaderLost !== undefined) hooks.onLeaderLost();
        else void manager.stop();
      },
    });
    elector.start();
  } else {
    await startControllers();
  }

  return {
    port,
    metrics,
    secrets,
    async stop() {
      stopping = true;
      ready = false;
      leading(0);
      schemaCheck.abort();
      await schemaReport;
      await manager.stop();
      await elector?.stop();
      connections.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** The Lease of a shard's replicas: `k3-operator`, or `k3-operator-<shard>` so shards elect leaders independently. */
export function leaseName(shard: string): string {
  return shard ? `k3-operator-${shard}` : "k3-operator";
}

/** /healthz (the process answers), /readyz (caches synced and workers running, or standby), /metrics. */
function serveHttp(port: number, metrics: OperatorMetrics, isReady: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/healthz") return void res.writeHead(200).end("ok");
    if (req.url === "/readyz") return void res.writeHead(isReady() ? 200 : 503).end(isReady() ? "ok" : "not ready");
    if (req.url === "/metrics") {
      void metrics.render().then(
        ({ contentType, body }) => res.writeHead(200, { "Content-Type": contentType }).end(body),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}
