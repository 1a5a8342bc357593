import type { K3Source } from "../../api/gen/index.js";
import { ownerLabels as ownerLabelKeys } from "../../api/keys.js";
import { sourcev1, type K3Client } from "../../grpc/index.js";
import {
  available,
  createRequestId,
  keyOf,
  unavailable,
  type ConditionLike,
  type ExternalClient,
  type ExternalObservation,
  type KubeObject,
  type ManagedAdapter,
  type SecretReader,
  type Status,
} from "../../runtime/index.js";
import { classifyK3Error, summarizeK3Error } from "../classify.js";
import { getOrUndefined } from "../lookup.js";
import type { Connections } from "../connection.js";
import { ownerLabelFilter } from "../owner.js";
import { deleteQuietly, newCredentialStep } from "./credential.js";
import { desiredSource, sourceDiff, sourceMessage } from "./desired.js";
import { activeRunPollMs, discoveryStatus, hasActiveRun, isActive, newSyncActions, observeSync } from "./sync.js";

const stateNames: Partial<Record<sourcev1.SourceStatus, string>> = {
  [sourcev1.SourceStatus.SOURCE_STATUS_PENDING]: "Pending",
  [sourcev1.SourceStatus.SOURCE_STATUS_ACTIVE]: "Active",
  [sourcev1.SourceStatus.SOURCE_STATUS_ERROR]: "Error",
  [sourcev1.SourceStatus.SOURCE_STATUS_DISABLED]: "Disabled",
};

function observedStatus(s: sourcev1.Source): Status {
  return { sourceId: s.id, state: stateNames[s.status] };
}

/** Ready=True once the service says the source is active; otherwise why not. */
function readyOf(s: sourcev1.Source): ConditionLike {
  return s.status === sourcev1.SourceStatus.SOURCE_STATUS_ACTIVE
    ? available()
    : unavailable(s.statusMessage || `source is ${stateNames[s.status] ?? "not active"}`);
}

async function getById(k3: K3Client, id: string): Promise<sourcev1.Source | undefined> {
  return getOrUndefined(k3.source.getSource({ id }), "source", "GetSource");
}

/** The object created for this exact resource, by its owner labels (checked, not trusted: a filter the service ignored must not adopt a stranger). */
async function findByOwner(k3: K3Client, obj: K3Source): Promise<sourcev1.Source | undefined> {
  const { sources } = await k3.source.listSources({ labelFilter: ownerLabelFilter(obj), pageSize: 1 });
  return sources.find((s) => s.labels[ownerLabelKeys.uid] === obj.metadata.uid);
}

/** The tenant's internal S3 source, which the service creates by itself: found by type. */
async function findInternal(k3: K3Client): Promise<sourcev1.Source | undefined> {
  let pageToken = "";
  do {
    const page = await k3.source.listSources({ pageSize: 100, pageToken });
    const internal = page.sources.find((s) => s.type === sourcev1.SourceType.SOURCE_TYPE_INTERNAL_S3);
    if (internal) return internal;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return undefined;
}

/** Options of the K3Source adapter. */
export interface SourceAdapterOptions {
  connections: Connections;
  secrets: SecretReader;
  /** the Secret cache, for the inputs version (a changed credential Secret retries a rejected spec at once) */
  secretCache: { get(key: string): KubeObject | undefined };
  now?: () => Date;
}

/**
 * The K3Source external client of one reconcile: the credential step first (its id feeds the
 * source), then the source itself, its sync runs polled only while one is active, and the two
 * requested-run actions.
 */
function newSourceClient(k3: K3Client, options: SourceAdapterOptions): ExternalClient<K3Source> {
  let observed: sourcev1.Source | undefined;
  const credential = newCredentialStep({ k3, secrets: options.secrets, now: options.now ?? ((): Date => new Date()) });
  return {
    steps: [credential],
    actions: newSyncActions(k3, () => observed?.id ?? ""),

    async observe(obj, ctx): Promise<ExternalObservation> {
      if (obj.spec.type === "InternalS3") {
        observed = obj.status?.sourceId ? await getById(k3, obj.status.sourceId) : undefined;
        observed ??= await findInternal(k3);
      } else {
        const id = obj.status?.sourceId || obj.spec.externalId;
        observed = id ? await getById(k3, id) : undefined;
        // No id recorded (or it vanished): a create whose answer was lost is found by its owner labels.
        if (!observed && !obj.spec.externalId && !ctx?.neverCreated) observed = await findByOwner(k3, obj);
      }
      if (!observed) return { exists: false, upToDate: false };
      const upToDate = obj.spec.type === "InternalS3" || sourceDiff(observed, desiredSource(obj, credential.credentialId(obj))).length === 0;
      const sync = hasActiveRun(obj) ? await observeSync(k3, observed.id) : undefined;
      return { exists: true, upToDate, externalId: observed.id, status: { ...observedStatus(observed), ...sync?.status }, ready: readyOf(observed), pollAfterMs: sync?.pollAfterMs };
    },

    async create(obj, { requestId }) {
      const { source } = await k3.source.createSource({ requestId, source: sourceMessage(desiredSource(obj, credential.credentialId(obj))) });
      if (!source) throw new Error("CreateSource answered without a source");
      observed = source;
      const status: Status = observedStatus(source);
      let discovering = false;
      if (obj.spec.sync?.discoverOnCreate !== false) {
        const { run } = await k3.ingest.triggerDiscovery({ sourceId: source.id, requestId: createRequestId(requestId, "discover-on-create") });
        const discovery = discoveryStatus(run);
        status["sync"] = { discovery };
        discovering = isActive(discovery?.["state"] as string | undefined);
      }
      // The answer is the source as GetSource shows it: no read follows unless the discovery it started runs.
      return { externalId: source.id, status, ready: readyOf(source), pollAfterMs: discovering ? activeRunPollMs : undefined };
    },

    async update(obj) {
      if (!observed) throw new Error("update called before observe");
      const desired = desiredSource(obj, credential.credentialId(obj));
      const mask = sourceDiff(observed, desired);
      const { source } = await k3.source.updateSource({ source: sourceMessage(desired, observed.id), updateMask: mask });
      // Rotation: the source now uses the new credential, so the one it replaced can go.
      if (mask.includes("credential_id") && observed.credentialId && observed.credentialId !== desired.credentialId) {
        await deleteQuietly(k3, observed.credentialId);
      }
      return { status: source ? observedStatus(source) : undefined };
    },

    async delete(obj) {
      const id = observed?.id ?? obj.status?.sourceId;
      if (id) await k3.source.deleteSource({ id });
    },
  };
}

/** The K3Source adapter of the managed reconciler. */
export function newSourceAdapter(options: SourceAdapterOptions): ManagedAdapter<K3Source> {
  const secretVersion = (obj: K3Source, name: string | undefined): string =>
    name ? (options.secretCache.get(keyOf(obj.metadata.namespace, name))?.metadata?.resourceVersion ?? "-") : "";
  return {
    connector: { connect: async (obj) => newSourceClient(await options.connections.forObject(obj), options) },
    classify: classifyK3Error,
    summarize: summarizeK3Error,
    getExternalId: (obj) => obj.status?.sourceId || undefined,
    setExternalId: (id) => ({ sourceId: id }),
    getSpecExternalId: (obj) => obj.spec.externalId || undefined,
    inputsVersion: (obj) => `${secretVersion(obj, obj.spec.credential?.secretRef.name)}|${secretVersion(obj, obj.spec.connectionRef?.name)}`,
  };
}
