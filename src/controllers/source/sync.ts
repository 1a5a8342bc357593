import type { K3Source } from "../../api/gen/index.js";
import { annotations, isAnnotationTrue } from "../../api/keys.js";
import { ingestv1, type K3Client } from "../../grpc/index.js";
import type { Action, Status } from "../../runtime/index.js";

/** How often an active discovery or ingestion run is polled (GetSyncStatus); idle sources are never polled. */
export const activeRunPollMs = 2_000;

const runStates: Partial<Record<ingestv1.RunState, string>> = {
  [ingestv1.RunState.RUN_STATE_QUEUED]: "Queued",
  [ingestv1.RunState.RUN_STATE_RUNNING]: "Running",
  [ingestv1.RunState.RUN_STATE_SUCCEEDED]: "Succeeded",
  [ingestv1.RunState.RUN_STATE_FAILED]: "Failed",
};

/** True for a run state that will still change. */
export function isActive(state: string | undefined): boolean {
  return state === "Queued" || state === "Running";
}

/** status.sync.discovery of a run (every field written, so an older run's leftovers are cleared). */
export function discoveryStatus(run: ingestv1.DiscoveryRun | undefined): Status | undefined {
  if (!run?.id) return undefined;
  return {
    id: run.id,
    state: runStates[run.state],
    startedAt: run.startTime?.toISOString(),
    finishedAt: run.finishTime?.toISOString(),
    objectsDiscovered: Number(run.objectsDiscovered),
    message: run.message || undefined,
  };
}

/** status.sync.ingestion of a run. */
export function ingestionStatus(run: ingestv1.IngestionRun | undefined): Status | undefined {
  if (!run?.id) return undefined;
  return {
    id: run.id,
    state: runStates[run.state],
    startedAt: run.startTime?.toISOString(),
    finishedAt: run.finishTime?.toISOString(),
    objectsIngested: Number(run.objectsIngested),
    objectsFailed: Number(run.objectsFailed),
    fullSync: run.fullSync,
    message: run.message || undefined,
  };
}

/** True while status shows a run that has not ended: only then is GetSyncStatus worth a call. */
export function hasActiveRun(obj: K3Source): boolean {
  return isActive(obj.status?.sync?.discovery?.state) || isActive(obj.status?.sync?.ingestion?.state);
}

/** Reads the source's runs into status.sync; asks for another look while one is active. */
export async function observeSync(k3: K3Client, sourceId: string): Promise<{ status: Status; pollAfterMs?: number }> {
  const { status } = await k3.ingest.getSyncStatus({ sourceId });
  const discovery = discoveryStatus(status?.discovery);
  const ingestion = ingestionStatus(status?.ingestion);
  const active = isActive(discovery?.["state"] as string | undefined) || isActive(ingestion?.["state"] as string | undefined);
  return { status: { sync: { ...(discovery ? { discovery } : {}), ...(ingestion ? { ingestion } : {}) } }, ...(active ? { pollAfterMs: activeRunPollMs } : {}) };
}

/**
 * The two requested-run actions of a K3Source (Flux's requestedAt convention): a new value of
 * requested-discovery-at / requested-ingestion-at triggers one run, recorded in
 * status.sync.lastHandled…; `full-sync: "true"` makes ingestion full.
 */
export function newSyncActions(k3: K3Client, sourceId: () => string): Action<K3Source>[] {
  return [
    {
      name: "discovery",
      requested: (obj) => obj.metadata.annotations?.[annotations.requestedDiscoveryAt] || undefined,
      handled: (obj) => obj.status?.sync?.lastHandledDiscoveryAt,
      async run(_obj, { value, requestId }) {
        const { run } = await k3.ingest.triggerDiscovery({ sourceId: sourceId(), requestId });
        return {
          status: { sync: { discovery: discoveryStatus(run), lastHandledDiscoveryAt: value } },
          event: { type: "Normal", reason: "DiscoveryTriggered", message: `triggered discovery run ${run?.id ?? ""} (requested at ${value})` },
          pollAfterMs: activeRunPollMs,
        };
      },
    },
    {
      name: "ingestion",
      requested: (obj) => obj.metadata.annotations?.[annotations.requestedIngestionAt] || undefined,
      handled: (obj) => obj.status?.sync?.lastHandledIngestionAt,
      async run(obj, { value, requestId }) {
        const fullSync = isAnnotationTrue(obj.metadata, annotations.fullSync);
        const { run } = await k3.ingest.triggerIngestion({ sourceId: sourceId(), fullSync, requestId });
        return {
          status: { sync: { ingestion: ingestionStatus(run), lastHandledIngestionAt: value } },
          event: { type: "Normal", reason: "IngestionTriggered", message: `triggered ${fullSync ? "full" : "incremental"} ingestion run ${run?.id ?? ""} (requested at ${value})` },
          pollAfterMs: activeRunPollMs,
        };
      },
    },
  ];
}
