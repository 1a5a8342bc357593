// SourceService: the source RPCs (Create/Get/List/Update/DeleteSource).
import {
  CredentialValidationState,
  type Source,
  SourceServiceService,
  SourceStatus,
  SourceType,
} from "../../grpc/gen/dodil/k3/source/v1/source.js";
import type { CallContext, Handlers } from "../context.js";
import { failedPrecondition, notFound, Violations } from "../errors.js";
import { resolveUpdateMask } from "../field-mask.js";
import { matchesLabels, paginate } from "../pagination.js";
import { discoveryRunView } from "../runs.js";
import { newId, type SourceRecord, type TenantState } from "../store.js";
import { RunState } from "../../grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { copy, isHttpUrl, requireId, snake } from "./common.js";

type SourceHandlers = Pick<Handlers<typeof SourceServiceService>, "createSource" | "getSource" | "listSources" | "updateSource" | "deleteSource">;

/** A config case of Source: the type it belongs to and its required fields. */
interface ConfigCase {
  type: SourceType;
  key: "s3" | "gcs" | "azureBlob" | "github" | "googleDrive" | "sharePoint" | "http";
  required: readonly string[];
  urls?: readonly string[];
}

const CONFIG_CASES: readonly ConfigCase[] = [
  { type: SourceType.SOURCE_TYPE_S3, key: "s3", required: ["bucket"] },
  { type: SourceType.SOURCE_TYPE_GCS, key: "gcs", required: ["bucket"] },
  { type: SourceType.SOURCE_TYPE_AZURE_BLOB, key: "azureBlob", required: ["account", "container"] },
  { type: SourceType.SOURCE_TYPE_GITHUB, key: "github", required: ["owner", "repo"] },
  { type: SourceType.SOURCE_TYPE_GOOGLE_DRIVE, key: "googleDrive", required: ["folderId"] },
  { type: SourceType.SOURCE_TYPE_SHAREPOINT, key: "sharePoint", required: ["siteUrl", "library"], urls: ["siteUrl"] },
  { type: SourceType.SOURCE_TYPE_HTTP, key: "http", required: ["url"], urls: ["url"] },
];

const OUTPUT_ONLY = "output only";
const IMMUTABLE_SOURCE_FIELDS: Readonly<Record<string, string>> = {
  id: OUTPUT_ONLY, type: "immutable after create", internal: OUTPUT_ONLY, status: OUTPUT_ONLY,
  status_message: OUTPUT_ONLY, internal_s3: OUTPUT_ONLY, create_time: OUTPUT_ONLY, update_time: OUTPUT_ONLY,
};

/** Checks the config case of a source against its type, adding violations under `source.`. */
function checkConfig(source: Source, violations: Violations): void {
  const expected = CONFIG_CASES.find((c) => c.type === source.type);
  if (source.internalS3 !== undefined) violations.add("source.internal_s3", "output only", "OUTPUT_ONLY");
  // Without a valid type there is nothing to check the config against; source.type says why.
  if (expected === undefined) return;
  for (const c of CONFIG_CASES) {
    if (c !== expected && source[c.key] !== undefined) {
      violations.add(`source.${snake(c.key)}`, `does not match source.type; set only the config of the source's type`, "CONFIG_TYPE_MISMATCH");
    }
  }
  const config = source[expected.key] as unknown as Record<string, string> | undefined;
  if (config === undefined) {
    violations.add(`source.${snake(expected.key)}`, `required for a source of this type`, "REQUIRED");
    return;
  }
  for (const field of expected.required) {
    if ((config[field] ?? "") === "") violations.add(`source.${snake(expected.key)}.${snake(field)}`, "required", "REQUIRED");
  }
  for (const field of expected.urls ?? []) {
    const value = config[field] ?? "";
    if (value !== "" && !isHttpUrl(value)) violations.add(`source.${snake(expected.key)}.${snake(field)}`, "must be an absolute http(s) URL", "INVALID_URL");
  }
}

function checkType(type: SourceType, violations: Violations): void {
  if (type === SourceType.SOURCE_TYPE_UNSPECIFIED) violations.add("source.type", "required", "REQUIRED");
  else if (type === SourceType.SOURCE_TYPE_INTERNAL_S3) violations.add("source.type", "the internal S3 source is created by the service; it cannot be created", "INTERNAL_SOURCE");
  else if (!CONFIG_CASES.some((c) => c.type === type)) violations.add("source.type", "unknown source type", "UNKNOWN_ENUM_VALUE");
}

function assertCredentialExists(tenant: TenantState, credentialId: string): void {
  if (credentialId !== "" && !tenant.credentials.has(credentialId)) {
    throw failedPrecondition("CREDENTIAL_NOT_FOUND", `credential "${credentialId}" does not exist`, { credentialId });
  }
}

/**
 * A source as the API shows it: ERROR when its credential failed validation or its latest
 * discovery run failed, otherwise ACTIVE.
 */
export function sourceView(ctx: CallContext, record: SourceRecord): Source {
  const source = copy(record.source);
  if (source.internal) return source;
  const credential = ctx.tenant.credentials.get(source.credentialId)?.credential;
  const latest = [...ctx.tenant.discoveryRuns.values()].filter((r) => r.sourceId === source.id).at(-1);
  const discovery = latest === undefined ? undefined : discoveryRunView(latest, ctx.now);
  if (credential?.validationState === CredentialValidationState.CREDENTIAL_VALIDATION_STATE_INVALID) {
    source.status = SourceStatus.SOURCE_STATUS_ERROR;
    source.statusMessage = `credential ${credential.id} is invalid: ${credential.validationMessage}`;
  } else if (discovery?.state === RunState.RUN_STATE_FAILED) {
    source.status = SourceStatus.SOURCE_STATUS_ERROR;
    source.statusMessage = discovery.message;
  } else {
    source.status = SourceStatus.SOURCE_STATUS_ACTIVE;
    source.statusMessage = "";
  }
  return source;
}

/** Finds a source of the tenant or throws NOT_FOUND. */
export function getSourceRecord(tenant: TenantState, id: string): SourceRecord {
  const record = tenant.sources.get(id);
  if (record === undefined) throw notFound("source", id);
  return record;
}

/** Handlers of the source RPCs. */
export const sourceHandlers: SourceHandlers = {
  createSource(ctx, request) {
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    if (replay !== undefined) {
      const existing = ctx.tenant.sources.get(replay.id);
      return existing === undefined ? copy(replay.response as { source: Source }) : { source: sourceView(ctx, existing) };
    }
    const violations = new Violations();
    const input = request.source;
    if (input === undefined) {
      violations.add("source", "required", "REQUIRED");
      violations.throwIfAny();
      return {};
    }
    if (input.displayName === "") violations.add("source.display_name", "required", "REQUIRED");
    checkType(input.type, violations);
    checkConfig(input, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("source", input.displayName);
    assertCredentialExists(ctx.tenant, input.credentialId);
    const at = new Date(ctx.now);
    const source: Source = {
      ...copy(input), id: newId("src"), internal: false, status: SourceStatus.SOURCE_STATUS_ACTIVE,
      statusMessage: "", internalS3: undefined, createTime: at, updateTime: at,
    };
    const record = { seq: ctx.tenant.nextSeq(), source };
    ctx.tenant.sources.set(source.id, record);
    ctx.tenant.recordName("source", source.displayName, source.id);
    const response = { source: sourceView(ctx, record) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: source.id, response });
    return response;
  },

  getSource(ctx, request) {
    requireId("id", request.id);
    return { source: sourceView(ctx, getSourceRecord(ctx.tenant, request.id)) };
  },

  listSources(ctx, request) {
    const matching = [...ctx.tenant.sources.values()].filter((r) => matchesLabels(r.source.labels, request.labelFilter));
    const page = paginate({ items: matching, seqOf: (r) => r.seq, request, filter: { labels: request.labelFilter } });
    return { sources: page.items.map((r) => sourceView(ctx, r)), nextPageToken: page.nextPageToken };
  },

  updateSource(ctx, request) {
    const input = request.source;
    requireId("source.id", input?.id ?? "");
    const record = getSourceRecord(ctx.tenant, (input as Source).id);
    if (record.source.internal) {
      throw failedPrecondition("INTERNAL_SOURCE_READ_ONLY", "the internal S3 source cannot be updated", { id: record.source.id });
    }
    const update = input as Source;
    const configCase = CONFIG_CASES.find((c) => c.type === record.source.type) as ConfigCase;
    const configPath = snake(configCase.key);
    const paths = resolveUpdateMask({
      paths: request.updateMask,
      mutable: ["display_name", "labels", "credential_id", configPath],
      immutable: IMMUTABLE_SOURCE_FIELDS,
      populated: (path) => ({
        display_name: update.displayName !== "", labels: Object.keys(update.labels).length > 0,
        credential_id: update.credentialId !== "", [configPath]: update[configCase.key] !== undefined,
      })[path] ?? false,
    });
    const next = copy(record.source);
    if (paths.has("display_name")) next.displayName = update.displayName;
    if (paths.has("labels")) next.labels = { ...update.labels };
    if (paths.has("credential_id")) next.credentialId = update.credentialId;
    if (paths.has(configPath)) (next as unknown as Record<string, unknown>)[configCase.key] = copy(update[configCase.key]);
    const violations = new Violations();
    if (next.displayName === "") violations.add("source.display_name", "required", "REQUIRED");
    checkConfig(next, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("source", next.displayName, next.id);
    assertCredentialExists(ctx.tenant, next.credentialId);
    if (paths.size > 0) next.updateTime = new Date(ctx.now);
    record.source = next;
    ctx.tenant.recordName("source", next.displayName, next.id);
    return { source: sourceView(ctx, record) };
  },

  deleteSource(ctx, request) {
    requireId("id", request.id);
    const record = getSourceRecord(ctx.tenant, request.id);
    if (record.source.internal) {
      throw failedPrecondition("INTERNAL_SOURCE_READ_ONLY", "the internal S3 source cannot be deleted", { id: record.source.id });
    }
    ctx.tenant.sources.delete(request.id);
    return {};
  },
};
