// The table of manifests the apiserver must reject at the door (DESIGN §1.2), each with the
// reason it is wrong and a piece of the message the user sees. Cases with `before` create that
// object first and then apply `manifest` as an update (immutability and transition rules).

/** A manifest as sent to the apiserver; loosely typed because most are invalid on purpose. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

/** One manifest the apiserver must refuse. */
export interface Rejection {
  reason: string;
  manifest: Manifest;
  /** When set, created first; `manifest` (same kind and name) is then applied as an update. */
  before?: Manifest;
  /** A substring of the apiserver's error message. */
  message: string;
}

type Spec = Record<string, unknown>;

const apiVersion = "k3.dodil.io/v1alpha1";
const secretRef = { name: "creds" };

/** A valid K3Source spec: an S3 bucket read with an access key. */
export const validSourceSpec: Spec = {
  type: "S3",
  s3: { bucket: "acme-docs", region: "eu-west-1" },
  credential: { type: "AccessKey", secretRef },
};

/** A valid K3Pipeline spec: document-chunker into one vector store. */
export const validPipelineSpec: Spec = {
  template: { name: "document-chunker", version: "1.1.0" },
  parameters: { chunkSize: 512 },
  destinations: [{ name: "main", type: "VectorStore", config: { collection: "chunks" } }],
};

/** A valid K3IngestRule spec: one source ref, one pipeline ref, on new objects. */
export const validRuleSpec: Spec = {
  sourceRef: { name: "docs" },
  pipelineRef: { name: "chunker" },
  trigger: { type: "OnNewObject" },
};

/** A valid K3IngestJob spec: two objects through one rule. */
export const validJobSpec: Spec = {
  ruleRef: { name: "docs-to-chunker" },
  objectKeys: ["a.pdf", "b.pdf"],
  ttlSecondsAfterFinished: 60,
};

function manifest(kind: string, base: Spec, spec: Spec): Manifest {
  // Keys set to undefined vanish in JSON, which is how a case removes a field.
  return { apiVersion, kind, metadata: { name: "subject" }, spec: { ...base, ...spec } };
}

/** A K3Source with `spec` laid over a valid spec. */
export function source(spec: Spec = {}): Manifest {
  return manifest("K3Source", validSourceSpec, spec);
}

/** A K3Pipeline with `spec` laid over a valid spec. */
export function pipeline(spec: Spec = {}): Manifest {
  return manifest("K3Pipeline", validPipelineSpec, spec);
}

/** A K3IngestRule with `spec` laid over a valid spec. */
export function rule(spec: Spec = {}): Manifest {
  return manifest("K3IngestRule", validRuleSpec, spec);
}

/** A K3IngestJob with `spec` laid over a valid spec. */
export function job(spec: Spec = {}): Manifest {
  return manifest("K3IngestJob", validJobSpec, spec);
}

const noS3 = { s3: undefined };
const observe = { managementPolicy: "ObserveOnly", credential: undefined };

/** Every manifest the CRDs must reject, with why. */
export const rejections: Rejection[] = [
  // K3Source: enums, required fields, formats
  { reason: "source without spec", manifest: { ...source(), spec: undefined }, message: "spec: Required value" },
  { reason: "source type outside the enum", manifest: source({ type: "Glacier" }), message: 'spec.type: Unsupported value: "Glacier"' },
  { reason: "source without type", manifest: source({ type: undefined }), message: "spec.type: Required value" },
  { reason: "deletionPolicy outside the enum", manifest: source({ deletionPolicy: "Retain" }), message: 'spec.deletionPolicy: Unsupported value: "Retain"' },
  { reason: "managementPolicy outside the enum", manifest: source({ managementPolicy: "ReadOnly" }), message: 'spec.managementPolicy: Unsupported value: "ReadOnly"' },
  { reason: "S3 bucket name with capitals", manifest: source({ s3: { bucket: "Acme_Docs" } }), message: 'spec.s3.bucket: Invalid value: "Acme_Docs"' },
  { reason: "S3 bucket name of a wrong type", manifest: source({ s3: { bucket: 42 } }), message: "spec.s3.bucket: Invalid value: \"integer\"" },
  { reason: "S3 endpoint that is not a URL", manifest: source({ s3: { bucket: "acme-docs", endpoint: "minio:9000/x y" } }), message: "spec.s3.endpoint must be an absolute http or https URL" },
  { reason: "HTTP url with a non-http scheme", manifest: source({ ...noS3, type: "HTTP", http: { url: "ftp://example.com/docs" }, credential: undefined }), message: "spec.http.url must be an absolute http or https URL" },
  { reason: "SharePoint site over plain http", manifest: source({ ...noS3, type: "SharePoint", sharePoint: { siteUrl: "http://contoso.sharepoint.com/sites/legal" }, credential: undefined }), message: "spec.sharePoint.siteUrl must be an absolute https URL" },
  { reason: "displayName over 256 characters", manifest: source({ displayName: "x".repeat(257) }), message: "spec.displayName: Too long: may not be more than 256 bytes" },
  { reason: "connectionRef name that is not a DNS subdomain", manifest: source({ connectionRef: { name: "My_Token" } }), message: 'spec.connectionRef.name: Invalid value: "My_Token"' },
  { reason: "credential.validate that is not a boolean", manifest: source({ credential: { type: "AccessKey", secretRef, validate: "yes" } }), message: "spec.credential.validate: Invalid value" },
  // K3Source: type blocks
  { reason: "type S3 without its s3 block", manifest: source(noS3), message: "spec.s3 is required when type is S3" },
  { reason: "type S3 with a gcs block instead", manifest: source({ ...noS3, gcs: { bucket: "acme-docs" } }), message: "type S3 takes spec.s3" },
  { reason: "two type blocks", manifest: source({ gcs: { bucket: "acme-docs" } }), message: "set only one type block" },
  { reason: "GitHub type with only an s3 block", manifest: source({ type: "GitHub", credential: undefined }), message: "type GitHub takes spec.github" },
  { reason: "InternalS3 with a type block", manifest: source({ type: "InternalS3", managementPolicy: "ObserveOnly", credential: undefined }), message: "type InternalS3 takes no type block" },
  { reason: "InternalS3 managed (created) by the operator", manifest: source({ ...noS3, type: "InternalS3", credential: undefined }), message: "type InternalS3 is created by the K3 service itself" },
  // K3Source: management policy and credentials
  { reason: "ObserveOnly without externalId", manifest: source(observe), message: "managementPolicy ObserveOnly needs spec.externalId" },
  { reason: "credential on an ObserveOnly source", manifest: source({ managementPolicy: "ObserveOnly", externalId: "src-1" }), message: "spec.credential is not allowed when managementPolicy is ObserveOnly" },
  { reason: "credential without secretRef", manifest: source({ credential: { type: "AccessKey" } }), message: "spec.credential.secretRef: Required value" },
  { reason: "credential type outside the enum", manifest: source({ credential: { type: "Password", secretRef } }), message: 'spec.credential.type: Unsupported value: "Password"' },
  { reason: "OAuth credential without its oauth block", manifest: source({ ...noS3, type: "GoogleDrive", googleDrive: { folderId: "abc" }, credential: { type: "OAuth", secretRef } }), message: "spec.credential.oauth is required when credential.type is OAuth" },
  { reason: "oauth block on an ApiKey credential", manifest: source({ credential: { type: "ApiKey", secretRef, oauth: { redirectUri: "https://x.example/cb" } } }), message: "spec.credential.oauth is only allowed when credential.type is OAuth" },
  { reason: "oauth block without redirectUri", manifest: source({ ...noS3, type: "GoogleDrive", googleDrive: { folderId: "abc" }, credential: { type: "OAuth", secretRef, oauth: { provider: "Google" } } }), message: "spec.credential.oauth.redirectUri: Required value" },
  { reason: "OAuth provider that does not fit the source type", manifest: source({ ...noS3, type: "SharePoint", sharePoint: { siteUrl: "https://contoso.sharepoint.com/sites/legal" }, credential: { type: "OAuth", secretRef, oauth: { provider: "Google", redirectUri: "https://x.example/cb" } } }), message: "credential.oauth.provider Google does not fit type SharePoint: use Microsoft" },
  { reason: "OAuth provider outside the enum", manifest: source({ ...noS3, type: "GoogleDrive", googleDrive: { folderId: "abc" }, credential: { type: "OAuth", secretRef, oauth: { provider: "google", redirectUri: "https://x.example/cb" } } }), message: 'spec.credential.oauth.provider: Unsupported value: "google"' },
  { reason: "OAuth credential on an S3 source", manifest: source({ credential: { type: "OAuth", secretRef, oauth: { redirectUri: "https://x.example/cb" } } }), message: "credential type OAuth is only supported by GitHub, GoogleDrive and SharePoint" },
  { reason: "AccessKey credential on a GitHub source", manifest: source({ ...noS3, type: "GitHub", github: { owner: "acme", repo: "handbook" } }), message: "credential type AccessKey is only supported by object stores" },
  // K3Source: immutability (update)
  { reason: "type changed after creation", before: source(), manifest: source({ ...noS3, type: "GCS", gcs: { bucket: "acme-docs" } }), message: "spec.type is immutable" },
  { reason: "externalId changed after being set", before: source({ externalId: "src-1" }), manifest: source({ externalId: "src-2" }), message: "spec.externalId is immutable once set" },
  { reason: "externalId removed after being set", before: source({ externalId: "src-1" }), manifest: source(), message: "spec.externalId is immutable once set" },
  // K3Pipeline
  { reason: "duplicate destination names", manifest: pipeline({ destinations: [{ name: "main", type: "VectorStore" }, { name: "main", type: "S3" }] }), message: 'spec.destinations[1]: Duplicate value: {"name":"main"}' },
  { reason: "no destination", manifest: pipeline({ destinations: [] }), message: "spec.destinations in body should have at least 1 items" },
  { reason: "destinations missing", manifest: pipeline({ destinations: undefined }), message: "spec.destinations: Required value" },
  { reason: "destination type outside the enum", manifest: pipeline({ destinations: [{ name: "main", type: "Kafka" }] }), message: 'spec.destinations[0].type: Unsupported value: "Kafka"' },
  { reason: "destination name that is not a DNS label", manifest: pipeline({ destinations: [{ name: "Main Index", type: "VectorStore" }] }), message: 'spec.destinations[0].name: Invalid value: "Main Index"' },
  { reason: "destination config value that is not a string", manifest: pipeline({ destinations: [{ name: "main", type: "VectorStore", config: { dims: 768 } }] }), message: "spec.destinations[0].config.dims: Invalid value" },
  { reason: "template without name", manifest: pipeline({ template: { version: "1.0.0" } }), message: "spec.template.name: Required value" },
  { reason: "template version that is not semver", manifest: pipeline({ template: { name: "document-chunker", version: "latest" } }), message: "spec.template.version must be a semantic version such as 1.1.0" },
  { reason: "pipeline ObserveOnly without externalId", manifest: pipeline({ managementPolicy: "ObserveOnly" }), message: "managementPolicy ObserveOnly needs spec.externalId" },
  { reason: "pipeline externalId changed", before: pipeline({ externalId: "pl-1" }), manifest: pipeline({ externalId: "pl-2" }), message: "spec.externalId is immutable once set" },
  // K3IngestRule
  { reason: "both sourceRef and sourceId", manifest: rule({ sourceId: "src-1" }), message: "set exactly one of spec.sourceRef and spec.sourceId" },
  { reason: "neither sourceRef nor sourceId", manifest: rule({ sourceRef: undefined }), message: "set exactly one of spec.sourceRef and spec.sourceId" },
  { reason: "both pipelineRef and pipelineId", manifest: rule({ pipelineId: "pl-1" }), message: "set exactly one of spec.pipelineRef and spec.pipelineId" },
  { reason: "neither pipelineRef nor pipelineId", manifest: rule({ pipelineRef: undefined }), message: "set exactly one of spec.pipelineRef and spec.pipelineId" },
  { reason: "sourceRef without name", manifest: rule({ sourceRef: {} }), message: "spec.sourceRef.name: Required value" },
  { reason: "trigger missing", manifest: rule({ trigger: undefined }), message: "spec.trigger: Required value" },
  { reason: "trigger type outside the enum", manifest: rule({ trigger: { type: "Hourly" } }), message: 'spec.trigger.type: Unsupported value: "Hourly"' },
  { reason: "Schedule trigger without a cron", manifest: rule({ trigger: { type: "Schedule" } }), message: "spec.trigger.schedule is required when trigger.type is Schedule" },
  { reason: "cron on a non-Schedule trigger", manifest: rule({ trigger: { type: "OnNewObject", schedule: "0 * * * *" } }), message: "spec.trigger.schedule is only allowed when trigger.type is Schedule" },
  { reason: "cron that is prose", manifest: rule({ trigger: { type: "Schedule", schedule: "every 5 minutes" } }), message: "spec.trigger.schedule must be a cron expression with 5 fields" },
  { reason: "cron with 6 fields (seconds)", manifest: rule({ trigger: { type: "Schedule", schedule: "0 0 */6 * * *" } }), message: "spec.trigger.schedule must be a cron expression with 5 fields" },
  { reason: "negative maxObjectSizeBytes", manifest: rule({ filter: { maxObjectSizeBytes: -1 } }), message: "spec.filter.maxObjectSizeBytes in body should be greater than or equal to 0" },
  { reason: "maxObjectSizeBytes that is not an integer", manifest: rule({ filter: { maxObjectSizeBytes: "50Mi" } }), message: "spec.filter.maxObjectSizeBytes: Invalid value" },
  { reason: "jobHistoryLimit above 100", manifest: rule({ jobHistoryLimit: 101 }), message: "spec.jobHistoryLimit in body should be less than or equal to 100" },
  { reason: "negative jobHistoryLimit", manifest: rule({ jobHistoryLimit: -1 }), message: "spec.jobHistoryLimit in body should be greater than or equal to 0" },
  { reason: "media type without a subtype", manifest: rule({ filter: { mimeTypes: ["pdf"] } }), message: 'spec.filter.mimeTypes[0]: Invalid value: "pdf"' },
  { reason: "the same include path twice", manifest: rule({ filter: { includePaths: ["docs/**", "docs/**"] } }), message: 'spec.filter.includePaths[1]: Duplicate value: "docs/**"' },
  { reason: "enabled that is not a boolean", manifest: rule({ enabled: "yes" }), message: "spec.enabled: Invalid value" },
  { reason: "rule ObserveOnly without externalId", manifest: rule({ managementPolicy: "ObserveOnly" }), message: "managementPolicy ObserveOnly needs spec.externalId" },
  { reason: "rule externalId changed", before: rule({ externalId: "rule-1" }), manifest: rule({ externalId: "rule-2" }), message: "spec.externalId is immutable once set" },
  // K3IngestJob
  { reason: "job without ruleRef", manifest: job({ ruleRef: undefined }), message: "spec.ruleRef: Required value" },
  { reason: "ruleRef without name", manifest: job({ ruleRef: {} }), message: "spec.ruleRef.name: Required value" },
  { reason: "negative ttlSecondsAfterFinished", manifest: job({ ttlSecondsAfterFinished: -5 }), message: "spec.ttlSecondsAfterFinished in body should be greater than or equal to 0" },
  { reason: "more than 1000 object keys", manifest: job({ objectKeys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }), message: "spec.objectKeys: Too many: 1001: must have at most 1000 items" },
  { reason: "an empty object key", manifest: job({ objectKeys: [""] }), message: "spec.objectKeys[0] in body should be at least 1 chars long" },
  { reason: "job objectKeys changed", before: job(), manifest: job({ objectKeys: ["c.pdf"] }), message: "spec is immutable; create a new K3IngestJob to run again" },
  { reason: "job ttl changed", before: job(), manifest: job({ ttlSecondsAfterFinished: 120 }), message: "spec is immutable; create a new K3IngestJob to run again" },
  { reason: "job ruleRef changed", before: job(), manifest: job({ ruleRef: { name: "other" } }), message: "spec is immutable; create a new K3IngestJob to run again" },
];
