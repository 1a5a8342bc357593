// The public face of src/grpc: the K3 client, its error model, and the generated message
// types per proto package, so controllers never import from gen/ paths.
export {
  createK3Client,
  k3ChannelCredentials,
  type DeepPartial,
  type K3Client,
  type K3ClientOptions,
  type K3MethodDefinition,
  type K3Request,
  type K3Response,
  type K3ServiceClient,
  type K3ServiceDefinition,
} from "./k3-client.js";
export { REQUEST_ID_HEADER, type K3CallEvent, type K3CallOptions, type K3Logger } from "./call-runner.js";
export { codeName, isK3Error, K3Error, kindOfCode, RETRYABLE_CODES, type K3ErrorInit, type K3ErrorKind } from "./errors.js";
export { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetrySafe, type RetryPolicy } from "./retry.js";
export {
  decodeStatusDetails,
  encodeStatusDetails,
  newStatusError,
  statusDetailsFromMetadata,
  STATUS_DETAILS_KEY,
  type ErrorInfoDetail,
  type FieldViolation,
  type StatusDetails,
  type StatusDetailsInput,
} from "./status-details.js";
/** Messages and enums of dodil.k3.source.v1 (Source, Credential, …). */
export * as sourcev1 from "./gen/dodil/k3/source/v1/source.js";
/** Messages and enums of dodil.k3.pipeline.v1 (Pipeline, Template, …). */
export * as pipelinev1 from "./gen/dodil/k3/pipeline/v1/pipeline.js";
/** Messages and enums of dodil.k3.ingest.v1 (IngestRule, IngestJob, SyncStatus, …). */
export * as ingestv1 from "./gen/dodil/k3/ingest/v1/ingest.js";
export { checkServiceSchema, compareServices, compiledFiles, K3_SERVICE_NAMES } from "./service-schema.js";
export { fetchReflectedFiles, ReflectionError, type ReflectionTarget } from "./reflection-client.js";
