import { createHash } from "node:crypto";
import type { K3IngestJob, K3IngestRule } from "../../api/gen/index.js";
import { findCondition, reasons } from "../../api/conditions.js";
import { ownerLabels as ownerLabelKeys } from "../../api/keys.js";
import { ingestv1, type K3Client } from "../../grpc/index.js";
import {
  available,
  keyOf,
  waiting,
  type ConditionLike,
  type ExternalClient,
  type ExternalObservation,
  type KubeObject,
  type ManagedAdapter,
  type RecordedEvent,
  type Status,
} from "../../runtime/index.js";
import { classifyK3Error, ControllerError, summarizeK3Error } from "../classify.js";
import { getOrUndefined, unlessNotFound } from "../lookup.js";
import type { Connections } from "../connection.js";
import { ownerLabelFilter } from "../owner.js";
import { jobRuleIndex } from "../job/index.js";
import { desiredRule, ruleDiff, ruleMessage, updateMask } from "./desired.js";
import { activeJobsPollMs, hasActiveJobs, observeJobs, scheduleTimes } from "./jobs.js";
import { resolveRuleIds, type ReferenceCaches } from "./references.js";

/** Options of the K3IngestRule adapter. */
export interface RuleAdapterOptions extends ReferenceCaches {
  connections: Connections;
  /** the K3IngestJob cache, indexed by rule: a job run for a rule is a reason to look at its jobs */
  jobs: { byIndex(name: string, value: string): string[]; get(key: string): K3IngestJob | undefined };
  /** the Secret cache, for the inputs version */
  secretCache: { get(key: string): KubeObject | undefined };
  now?: () => Date;
}

async function getById(k3: K3Client, id: string): Promise<ingestv1.IngestRule | undefined> {
  return getOrUndefined(k3.ingest.getRule({ id }), "rule", "GetRule");
}

async function findByOwner(k3: K3Client, obj: K3IngestRule): Promise<ingestv1.IngestRule | undefined> {
  const { rules } = await k3.ingest.listRules({ labelFilter: ownerLabelFilter(obj), pageSize: 1 });
  return rules.find((r) => r.labels[ownerLabelKeys.uid] === obj.metadata.uid);
}

async function pipelineExists(k3: K3Client, id: string): Promise<boolean> {
  return (await unlessNotFound(k3.pipeline.getPipeline({ id }))) !== undefined;
}

/**
 * The display binding and its condition. An empty binding is confirmed with GetPipeline before
 * the rule is flagged: PipelineBound=False/PipelineDeleted, Ready=False, and a Warning only when
 * the condition turns (exported for its unit test).
 */
export async function bindingOf(k3: K3Client, obj: K3IngestRule, rule: ingestv1.IngestRule): Promise<{ status: Status; conditions: ConditionLike[]; ready?: ConditionLike; events: RecordedEvent[] }> {
  const b = rule.binding;
  if (b?.pipelineName || (await pipelineExists(k3, rule.pipelineId))) {
    return {
      status: { binding: { pipelineName: b?.pipelineName || undefined, kind: b?.kind || undefined, destination: b?.destination || undefined } },
      conditions: [{ type: "PipelineBound", status: "True", reason: "Bound", message: `routes to pipeline ${rule.pipelineId}` }],
      events: [],
    };
  }
  const message = `pipeline ${rule.pipelineId} no longer exists; the rule is kept (id ${rule.id}) and routes nowhere until it points at another pipeline`;
  const already = findCondition(obj, "PipelineBound")?.reason === reasons.pipelineDeleted;
  return {
    status: { binding: { pipelineName: undefined, kind: undefined, destination: undefined } },
    conditions: [{ type: "PipelineBound", status: "False", reason: reasons.pipelineDeleted, message }],
    ready: waiting(reasons.pipelineDeleted, message),
    events: already ? [] : [{ type: "Warning", reason: reasons.pipelineDeleted, message }],
  };
}

/** Ready=True for an existing rule, with reason Disabled when it starts no jobs. */
function readyOf(rule: ingestv1.IngestRule): ConditionLike {
  return rule.enabled ? available() : { type: "Ready", status: "True", reason: "Disabled", message: "the rule exists and is disabled: it starts no jobs" };
}

/** status.jobs of a rule that has run no job yet (what observeJobs reads for it). */
const noJobs: Status = { queued: 0, running: 0, succeeded: 0, failed: 0, recent: [] };

/** A short digest of what could start jobs: what status.jobs.observedTriggers records. */
function digestOf(hint: string): string {
  return createHash("sha256").update(hint).digest("base64url").slice(0, 22);
}

/** The K3IngestRule client of one reconcile; routes on pipeline ids, shows the binding, and summarises jobs. */
function newRuleClient(k3: K3Client, options: RuleAdapterOptions): ExternalClient<K3IngestRule> {
  let observed: ingestv1.IngestRule | undefined;
  const now = options.now ?? ((): Date => new Date());
  const ids = (obj: K3IngestRule): { sourceId: string; pipelineId: string } => {
    const r = resolveRuleIds(obj, options);
    if (!r.ready) throw new ControllerError("dependency", r.message);
    return r;
  };

  /**
   * What tells that the rule's jobs may have changed although none is known to be active: a
   * source run, a job object, a schedule slot. Its digest is kept in status.jobs beside the jobs
   * it was read with, so a restart, like any later pass, reads jobs only when it differs.
   */
  const triggersOf = (obj: K3IngestRule): { digest: string; nextCheckMs?: number } => {
    const source = obj.spec.sourceRef ? options.sources.get(keyOf(obj.metadata.namespace, obj.spec.sourceRef.name)) : undefined;
    const ingestion = source?.status?.sync?.ingestion;
    const jobObjects = options.jobs.byIndex(jobRuleIndex, keyOf(obj.metadata.namespace, obj.metadata.name ?? ""))
      .map((k) => `${k}@${options.jobs.get(k)?.status?.triggerId ?? ""}`).sort();
    // A disabled rule's schedule starts nothing: its slots are no reason to look (or to write a new digest).
    const schedule = obj.spec.trigger.type === "Schedule" && obj.spec.trigger.schedule && obj.spec.enabled !== false ? scheduleTimes(obj.spec.trigger.schedule, now()) : undefined;
    return {
      digest: digestOf([ingestion?.id, ingestion?.state, ...jobObjects, schedule?.last].join("|")),
      // The service fires schedules itself; look a moment after the next slot.
      nextCheckMs: schedule ? Math.max(schedule.next - now().getTime() + 1_000, 1_000) : undefined,
    };
  };

  return {
    async observe(obj, ctx): Promise<ExternalObservation> {
      const id = obj.status?.ruleId || obj.spec.externalId;
      observed = id ? await getById(k3, id) : undefined;
      if (!observed && !obj.spec.externalId && !ctx?.neverCreated) observed = await findByOwner(k3, obj);
      if (!observed) return { exists: false, upToDate: false };
      const resolved = resolveRuleIds(obj, options);
      const upToDate = !resolved.ready || ruleDiff(observed, desiredRule(obj, resolved)).length === 0;
      const binding = await bindingOf(k3, obj, observed);
      const { digest, nextCheckMs } = triggersOf(obj);
      const jobs = hasActiveJobs(obj) || obj.status?.jobs?.observedTriggers !== digest ? await observeJobs(k3, obj, observed.id, digest) : undefined;
      const active = jobs ? jobs.active : hasActiveJobs(obj);
      return {
        exists: true,
        upToDate,
        externalId: observed.id,
        status: { ruleId: observed.id, sourceId: observed.sourceId, pipelineId: observed.pipelineId, ...binding.status, ...jobs?.status },
        conditions: binding.conditions,
        ready: binding.ready ?? readyOf(observed),
        events: [...binding.events, ...(jobs?.events ?? [])],
        pollAfterMs: active ? activeJobsPollMs : nextCheckMs,
      };
    },

    async create(obj, { requestId }) {
      const { rule } = await k3.ingest.createRule({ requestId, rule: ruleMessage(desiredRule(obj, ids(obj))) });
      if (!rule) throw new Error("CreateRule answered without a rule");
      // The answer is the rule as GetRule shows it, binding included, and a rule created just now
      // has run no job: everything an observe would read is known, so no read follows. The
      // triggers' digest goes with the empty job summary, so that the next pass reads jobs only
      // if something could have started one since.
      const binding = await bindingOf(k3, obj, rule);
      const { digest, nextCheckMs } = triggersOf(obj);
      return {
        externalId: rule.id,
        status: { ruleId: rule.id, sourceId: rule.sourceId, pipelineId: rule.pipelineId, ...binding.status, jobs: { ...noJobs, observedTriggers: digest } },
        conditions: binding.conditions,
        ready: binding.ready ?? readyOf(rule),
        events: binding.events,
        pollAfterMs: nextCheckMs,
      };
    },

    async update(obj) {
      if (!observed) throw new Error("update called before observe");
      const desired = desiredRule(obj, ids(obj));
      const { rule } = await k3.ingest.updateRule({ rule: ruleMessage(desired, observed.id), updateMask: updateMask(ruleDiff(observed, desired)) });
      return { status: rule ? { sourceId: rule.sourceId, pipelineId: rule.pipelineId } : undefined };
    },

    async delete(obj) {
      const id = observed?.id ?? obj.status?.ruleId;
      if (id) await k3.ingest.deleteRule({ id });
    },
  };
}

/** The K3IngestRule adapter of the managed reconciler. */
export function newRuleAdapter(options: RuleAdapterOptions): ManagedAdapter<K3IngestRule> {
  const secretVersion = (obj: K3IngestRule): string =>
    obj.spec.connectionRef ? (options.secretCache.get(keyOf(obj.metadata.namespace, obj.spec.connectionRef.name))?.metadata?.resourceVersion ?? "-") : "";
  return {
    connector: { connect: async (obj) => newRuleClient(await options.connections.forObject(obj), options) },
    classify: classifyK3Error,
    summarize: summarizeK3Error,
    getExternalId: (obj) => obj.status?.ruleId || undefined,
    setExternalId: (id) => ({ ruleId: id }),
    getSpecExternalId: (obj) => obj.spec.externalId || undefined,
    resolveReferences: (obj) => {
      const r = resolveRuleIds(obj, options);
      return Promise.resolve(r.ready ? { ready: true } : { ready: false, message: r.message });
    },
    inputsVersion: (obj) => {
      let ids: string;
      try {
        const r = resolveRuleIds(obj, options);
        ids = r.ready ? `${r.sourceId}/${r.pipelineId}` : "unresolved";
      } catch (err) {
        // A chain on two connections is itself the input that was judged.
        ids = err instanceof Error ? err.message : "invalid";
      }
      return `${ids}|${secretVersion(obj)}`;
    },
  };
}
