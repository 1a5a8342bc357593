// Names of the Kubernetes API of k3-operator, defined once (DESIGN §1.2): group, version,
// kinds and plurals, and every finalizer, annotation and label key the operator reads or writes.

/** API group of every k3-operator kind. */
export const group = "k3.dodil.io";

/** The one served and stored version of every kind. */
export const version = "v1alpha1";

/** The apiVersion field value of every k3-operator object. */
export const apiVersion = `${group}/${version}`;

/** Kind names, as in the `kind` field. */
export const kinds = {
  source: "K3Source",
  pipeline: "K3Pipeline",
  ingestRule: "K3IngestRule",
  ingestJob: "K3IngestJob",
} as const;

/** One of the four kind names. */
export type Kind = (typeof kinds)[keyof typeof kinds];

/** Resource plurals, as in REST paths (`/apis/k3.dodil.io/v1alpha1/namespaces/NS/k3sources`). */
export const plurals = {
  K3Source: "k3sources",
  K3Pipeline: "k3pipelines",
  K3IngestRule: "k3ingestrules",
  K3IngestJob: "k3ingestjobs",
} as const satisfies Record<Kind, string>;

/** The kubectl category every kind belongs to (`kubectl get k3`). */
export const category = "k3";

/** Finalizer added before the first remote create and removed once remote cleanup is done. */
export const finalizer = `${group}/finalizer`;

/** Annotation keys users set on objects. */
export const annotations = {
  /** Value "true" stops reconciling (Synced=False, reason Paused) until removed. */
  paused: `${group}/paused`,
  /** Any new value triggers one discovery run of a K3Source. */
  requestedDiscoveryAt: `${group}/requested-discovery-at`,
  /** Any new value triggers one ingestion run of a K3Source. */
  requestedIngestionAt: `${group}/requested-ingestion-at`,
  /** Value "true" makes requested ingestion runs full rather than incremental. */
  fullSync: `${group}/full-sync`,
  /** Any new value drops a K3Source's OAuth credential and asks for consent again (a new URL). */
  restartOAuth: `${group}/restart-oauth`,
} as const;

/** Label keys put on remote objects to name the custom resource that owns them. */
export const ownerLabels = {
  /** metadata.uid of the owning object. */
  uid: `${group}/uid`,
  /** metadata.namespace of the owning object. */
  namespace: `${group}/namespace`,
  /** metadata.name of the owning object. */
  name: `${group}/name`,
} as const;

/** The type a Secret must have to be used as a connection (`spec.connectionRef`): a token is never read from any other Secret. */
export const connectionSecretType = `${group}/connection`;

/**
 * Label users set on objects to assign them to a shard (as Flux's `sharding.fluxcd.io/key`): an
 * operator started with `--shard NAME` reconciles only objects labelled NAME, one without
 * `--shard` only objects without the label.
 */
export const shardLabel = `${group}/shard`;

/** The label selector of shard `shard` ("" = the default shard: objects without the shard label). */
export function shardSelector(shard: string): string {
  return shard ? `${shardLabel}=${shard}` : `!${shardLabel}`;
}

/**
 * Where a shard looks for objects, for "not found" messages (a rule and what it references must
 * share a shard): empty for the default shard, whose objects carry no shard label.
 */
export function shardScope(shard: string): string {
  return shard ? ` among objects labelled ${shardLabel}=${shard}` : "";
}

/** Label keys put on remote credentials besides the owner labels. */
export const credentialLabels = {
  /** Hash of the Secret data a credential was stored from: finds a credential whose store answer was lost. */
  secretHash: `${group}/secret-hash`,
} as const;

/** Whether annotation `key` of an object is exactly "true" (the form of every boolean annotation). */
export function isAnnotationTrue(meta: { annotations?: Record<string, string> }, key: string): boolean {
  return meta.annotations?.[key] === "true";
}
