// Per-tenant in-memory state. Every tenant gets its own maps, so nothing one tenant does is
// visible to another; a tenant's state (with its internal S3 source) is made on its first
// call. Maps iterate in insertion order, which is also creation (sequence) order.
import { createHash, randomBytes } from "node:crypto";
import type { IngestRule } from "../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { Pipeline } from "../grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import {
  type Credential,
  type OAuthProvider,
  type Source,
  SourceStatus,
  SourceType,
} from "../grpc/gen/dodil/k3/source/v1/source.js";
import { displayNameTaken } from "./errors.js";

/** Secret material of a credential; kept server-side only. */
export type SecretMaterial =
  | { kind: "accessKey"; accessKeyId: string; secretAccessKey: string }
  | { kind: "apiKey"; apiKey: string }
  | { kind: "personalAccessToken"; token: string }
  | { kind: "oauth"; accessToken: string; refreshToken: string };

/** A stored source; its status is derived at read time. */
export interface SourceRecord { seq: number; source: Source }
/** A stored credential and its write-only material. */
export interface CredentialRecord { seq: number; credential: Credential; secret: SecretMaterial }
/** An OAuth consent started by GetOAuthUrl and not yet exchanged. */
export interface OAuthStateRecord { state: string; provider: OAuthProvider; redirectUri: string; scopes: string[]; createdAt: number }
/** A stored pipeline. */
export interface PipelineRecord { seq: number; pipeline: Pipeline }
/** A stored rule; its binding is derived at read time. */
export interface RuleRecord {
  seq: number;
  rule: IngestRule;
  /** A SCHEDULE rule's cron times up to this instant have fired (or were skipped); see schedules.ts. */
  scheduledThrough: number;
  /** The rule's next cron time after `scheduledThrough`, cached per schedule so most calls skip cron math. */
  nextFire?: { schedule: string; at: number };
}

/** A discovery run; its state is derived from these instants and the clock. */
export interface DiscoveryRunRecord {
  seq: number;
  id: string;
  sourceId: string;
  createdAt: number;
  startAt: number;
  finishAt: number;
  objectCount: number;
  /** Why the run fails, when it does. */
  problem?: string;
}

/** An ingestion run; its state and counts are derived from its jobs and the clock. */
export interface IngestionRunRecord {
  seq: number;
  id: string;
  sourceId: string;
  fullSync: boolean;
  createdAt: number;
  startAt: number;
  finishAt: number;
  jobIds: string[];
  /** Why the run fails, when it does. */
  problem?: string;
}

/** One object's ingest job; its state is derived from these instants and the clock. */
export interface JobRecord {
  seq: number;
  id: string;
  ruleId: string;
  sourceId: string;
  pipelineId: string;
  triggerId: string;
  objectKey: string;
  size: number;
  createdAt: number;
  startAt: number;
  attemptMs: number;
  /** Attempts the job makes before its terminal state. */
  attemptsNeeded: number;
  /** Error of the final attempt, when the job fails. */
  error?: string;
}

/** The jobs one TriggerIngest or ingestion run made. */
export interface TriggerRecord { id: string; jobIds: string[] }

/** Kinds of resources whose display names must be unique within a tenant. */
export type NamedKind = "source" | "credential" | "pipeline" | "rule";

/** What a remembered request_id points at. */
export interface IdempotencyEntry { id: string; response: unknown }

/** Returns a fresh identifier like "src_7h3kq2m9x4c1v8b5n6z0". */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0")}`;
}

/** Every piece of one tenant's state. */
export class TenantState {
  readonly sources = new Map<string, SourceRecord>();
  readonly credentials = new Map<string, CredentialRecord>();
  readonly oauthStates = new Map<string, OAuthStateRecord>();
  readonly pipelines = new Map<string, PipelineRecord>();
  readonly rules = new Map<string, RuleRecord>();
  readonly discoveryRuns = new Map<string, DiscoveryRunRecord>();
  readonly ingestionRuns = new Map<string, IngestionRunRecord>();
  readonly triggers = new Map<string, TriggerRecord>();
  readonly jobs = new Map<string, JobRecord>();
  /** Object key → etag last sent to each rule's pipeline by an ingestion run. */
  readonly sentByRule = new Map<string, Map<string, string>>();
  private readonly idempotency = new Map<string, IdempotencyEntry>();
  private readonly names: Record<NamedKind, Map<string, string>> = { source: new Map(), credential: new Map(), pipeline: new Map(), rule: new Map() };
  private seq = 0;

  constructor(readonly tenant: string, createdAt: number) {
    const id = `src_internal_${createHash("sha256").update(tenant).digest("hex").slice(0, 12)}`;
    const at = new Date(createdAt);
    this.sources.set(id, {
      seq: this.nextSeq(),
      source: {
        id, displayName: "internal-s3", labels: {}, type: SourceType.SOURCE_TYPE_INTERNAL_S3, internal: true,
        status: SourceStatus.SOURCE_STATUS_ACTIVE, statusMessage: "", credentialId: "",
        internalS3: { bucket: "k3-internal", prefix: `tenants/${tenant}/` }, createTime: at, updateTime: at,
      },
    });
    this.recordName("source", "internal-s3", id);
  }

  /** The next creation sequence number of this tenant. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** What an earlier call of `rpc` with this request_id made, if any (empty ids never match). */
  replay(rpc: string, requestId: string): IdempotencyEntry | undefined {
    return requestId === "" ? undefined : this.idempotency.get(`${rpc}\u0000${requestId}`);
  }

  /** Remembers what a call of `rpc` with this request_id made (no-op for an empty id). */
  remember(rpc: string, requestId: string, entry: IdempotencyEntry): void {
    if (requestId !== "") this.idempotency.set(`${rpc}\u0000${requestId}`, entry);
  }

  /** Throws ALREADY_EXISTS when another resource of the kind has this display name. */
  assertNameFree(kind: NamedKind, displayName: string, exceptId = ""): void {
    const holder = this.names[kind].get(displayName);
    // The index is only ever added to; an entry whose resource is gone or renamed is stale.
    if (holder !== undefined && holder !== exceptId && this.displayNameOf(kind, holder) === displayName) {
      throw displayNameTaken(kind, displayName, holder);
    }
  }

  /** Records that resource `id` of the kind now has this display name (after a commit). */
  recordName(kind: NamedKind, displayName: string, id: string): void {
    this.names[kind].set(displayName, id);
  }

  private displayNameOf(kind: NamedKind, id: string): string | undefined {
    switch (kind) {
      case "source": return this.sources.get(id)?.source.displayName;
      case "credential": return this.credentials.get(id)?.credential.displayName;
      case "pipeline": return this.pipelines.get(id)?.pipeline.displayName;
      case "rule": return this.rules.get(id)?.rule.displayName;
    }
  }
}

/** All tenants' states. */
export class Store {
  private readonly tenants = new Map<string, TenantState>();

  /** The tenant's state, made (with its internal S3 source) on first use. */
  tenant(name: string, now: number): TenantState {
    let state = this.tenants.get(name);
    if (state === undefined) {
      state = new TenantState(name, now);
      this.tenants.set(name, state);
    }
    return state;
  }
}
