// The public surface of the generic controller runtime. Everything outside src/runtime imports
// from here; nothing here knows about K3.
export { type BackoffOptions, backoffDelay, sleep, withJitter } from "./backoff.js";
export * from "./conditions.js";
export { Controller, type ControllerOptions, needsReconcile, type Reconciler, type Runnable, type Watch } from "./controller.js";
export { type EventRecorder, type EventRecorderOptions, newEventRecorder, noopEventRecorder, type RecordedEvent } from "./event-recorder.js";
export { cachedFileToken, type CachedFileTokenOptions } from "./file-token.js";
export { identityOf, type IndexFunc, Informer, type InformerHandlers, type InformerOptions } from "./informer.js";
export { type CallOptions, createKubeClient, type KubeClient, type KubeConfigSource, type ListOptions, type ObjectRef, type Patch, type WatchOptions } from "./kube-client.js";
export { isAlreadyExists, isConflict, isGone, isNotFound, KubeApiError } from "./kube-errors.js";
export * from "./kube-types.js";
export { checkLeaseTimings, type Lease, LeaderElector, type LeaderElectorOptions, type LeaseTimings, microTime } from "./leader-election.js";
export { errorFields, type Logger, noopLogger } from "./logger.js";
export { type NamespaceLifecycle, newNamespaceLifecycle } from "./namespaces.js";
export { Manager, type ManagerOptions, type SharedInformerOptions } from "./manager.js";
export { type RunAdapter, type RunProgress, RunReconciler, type RunReconcilerOptions } from "./run-reconciler.js";
export { ManagedReconciler, type ManagedReconcilerMetrics, type ManagedReconcilerOptions, type Stage } from "./managed-reconciler.js";
export * from "./managed-types.js";
export { type ControllerMetrics, type ExternalCallObserver, OperatorMetrics, type OperatorMetricsOptions } from "./metrics.js";
export { currentReconcile, type ReconcileContext, runInReconcileContext } from "./reconcile-context.js";
export { TokenBucket, type TokenBucketOptions } from "./rate-limiter.js";
export { createRequestId } from "./request-id.js";
export { apiVersionOf, CoreTypes, type ResourceType } from "./resource.js";
export { type SecretData, type SecretReader, type SecretReferrer, SecretStore, type SecretStoreOptions } from "./secret-reader.js";
export { newObjectWriter, type ObjectWriter, type Status, statusOf, statusPatch } from "./status-patcher.js";
export { WorkQueue, type WorkQueueMetrics, type WorkQueueOptions } from "./work-queue.js";
