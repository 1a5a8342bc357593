import { isDeepStrictEqual } from "node:util";
import type { K3Source } from "../../api/gen/index.js";
import { sourcev1 } from "../../grpc/index.js";
import { ownerLabels, remoteDisplayName } from "../owner.js";

type SourceType = K3Source["spec"]["type"];

/** The CRD's source types, mapped to the proto enum. */
export const sourceTypes: Record<SourceType, sourcev1.SourceType> = {
  S3: sourcev1.SourceType.SOURCE_TYPE_S3,
  GCS: sourcev1.SourceType.SOURCE_TYPE_GCS,
  AzureBlob: sourcev1.SourceType.SOURCE_TYPE_AZURE_BLOB,
  GitHub: sourcev1.SourceType.SOURCE_TYPE_GITHUB,
  GoogleDrive: sourcev1.SourceType.SOURCE_TYPE_GOOGLE_DRIVE,
  SharePoint: sourcev1.SourceType.SOURCE_TYPE_SHAREPOINT,
  HTTP: sourcev1.SourceType.SOURCE_TYPE_HTTP,
  InternalS3: sourcev1.SourceType.SOURCE_TYPE_INTERNAL_S3,
};

/** The config oneof of a remote source: the proto field and its update_mask path. */
type ConfigField = "s3" | "gcs" | "azureBlob" | "github" | "googleDrive" | "sharePoint" | "http";

const configFields: Partial<Record<SourceType, { field: ConfigField; path: string }>> = {
  S3: { field: "s3", path: "s3" },
  GCS: { field: "gcs", path: "gcs" },
  AzureBlob: { field: "azureBlob", path: "azure_blob" },
  GitHub: { field: "github", path: "github" },
  GoogleDrive: { field: "googleDrive", path: "google_drive" },
  SharePoint: { field: "sharePoint", path: "share_point" },
  HTTP: { field: "http", path: "http" },
};

/** The remote source a K3Source asks for (only the fields the operator owns). */
export interface DesiredSource {
  displayName: string;
  labels: Record<string, string>;
  type: sourcev1.SourceType;
  credentialId: string;
  config?: { field: ConfigField; path: string; value: Record<string, string> };
}

/** The spec's config block with empty optional fields filled as the service stores them (""). */
function configOf(cr: K3Source): DesiredSource["config"] {
  const where = configFields[cr.spec.type];
  if (!where) return undefined;
  const block = (cr.spec as unknown as Record<string, Record<string, string> | undefined>)[where.field] ?? {};
  const value = Object.fromEntries(Object.entries(block).filter((e): e is [string, string] => typeof e[1] === "string"));
  return { ...where, value: { ...emptyConfig(where.field), ...value } };
}

/** Every field of a config message, empty: proto3 answers "" for an unset string. */
function emptyConfig(field: ConfigField): Record<string, string> {
  const shapes: Record<ConfigField, string[]> = {
    s3: ["bucket", "region", "prefix", "endpoint"],
    gcs: ["bucket", "prefix"],
    azureBlob: ["account", "container", "prefix"],
    github: ["owner", "repo", "branch", "path"],
    googleDrive: ["folderId"],
    sharePoint: ["siteUrl", "library"],
    http: ["url"],
  };
  return Object.fromEntries(shapes[field].map((k) => [k, ""]));
}

/** Builds the desired remote source; `credentialId` is the credential step's output ("" for none). */
export function desiredSource(cr: K3Source, credentialId: string): DesiredSource {
  return {
    displayName: cr.spec.displayName || remoteDisplayName(cr),
    labels: ownerLabels(cr),
    type: sourceTypes[cr.spec.type],
    credentialId,
    config: configOf(cr),
  };
}

/** The desired source as a message for CreateSource/UpdateSource. */
export function sourceMessage(desired: DesiredSource, id = ""): Partial<sourcev1.Source> {
  return {
    id,
    displayName: desired.displayName,
    labels: desired.labels,
    type: desired.type,
    credentialId: desired.credentialId,
    ...(desired.config ? { [desired.config.field]: desired.config.value } : {}),
  };
}

/**
 * The update_mask paths where the observed source differs from the desired one; empty when up
 * to date. Labels others put on the remote source are left alone: only ours must be present.
 */
export function sourceDiff(observed: sourcev1.Source, desired: DesiredSource): string[] {
  const mask: string[] = [];
  if (observed.displayName !== desired.displayName) mask.push("display_name");
  if (!Object.entries(desired.labels).every(([k, v]) => observed.labels[k] === v)) mask.push("labels");
  if (observed.credentialId !== desired.credentialId) mask.push("credential_id");
  if (desired.config) {
    const current = { ...emptyConfig(desired.config.field), ...(observed[desired.config.field] as Record<string, string> | undefined) };
    if (!isDeepStrictEqual(current, desired.config.value)) mask.push(desired.config.path);
  }
  return mask;
}
