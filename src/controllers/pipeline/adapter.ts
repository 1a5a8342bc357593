import type { K3Pipeline } from "../../api/gen/index.js";
import { ownerLabels as ownerLabelKeys } from "../../api/keys.js";
import { pipelinev1, type K3Client } from "../../grpc/index.js";
import {
  available,
  unavailable,
  type ConditionLike,
  type ExternalClient,
  type ExternalObservation,
  type ManagedAdapter,
  type Status,
} from "../../runtime/index.js";
import { classifyK3Error, summarizeK3Error } from "../classify.js";
import { getOrUndefined } from "../lookup.js";
import type { Connections } from "../connection.js";
import { ownerLabelFilter } from "../owner.js";
import { desiredPipeline, pipelineDiff } from "./desired.js";
import { TemplateCatalogs } from "./templates.js";

const stateNames: Partial<Record<pipelinev1.PipelineState, string>> = {
  [pipelinev1.PipelineState.PIPELINE_STATE_ACTIVE]: "Active",
  [pipelinev1.PipelineState.PIPELINE_STATE_ERROR]: "Error",
  [pipelinev1.PipelineState.PIPELINE_STATE_DISABLED]: "Disabled",
};

/** Why a pipeline without a message of its own is not Ready; a state newer than this build is named by number. */
function notActiveMessage(state: pipelinev1.PipelineState): string {
  const name = stateNames[state];
  if (name !== undefined) return `pipeline is ${name}`;
  if (state === pipelinev1.PipelineState.PIPELINE_STATE_UNSPECIFIED) return "pipeline is not active (the service gave no state)";
  return `pipeline state ${state} is unknown to this operator (a newer service?); not Ready until it reads Active`;
}

/** The status fields the service knows about a pipeline. */
function observedStatus(p: pipelinev1.Pipeline): Status {
  return {
    pipelineId: p.id,
    template: { id: p.template?.id ?? "", name: p.template?.name ?? "", version: p.template?.version ?? "" },
    state: stateNames[p.state],
  };
}

/** Ready=True once the service says the pipeline is active; otherwise why not. */
function readyOf(p: pipelinev1.Pipeline): ConditionLike {
  return p.state === pipelinev1.PipelineState.PIPELINE_STATE_ACTIVE
    ? available()
    : unavailable(p.stateMessage || notActiveMessage(p.state));
}

async function getById(k3: K3Client, id: string): Promise<pipelinev1.Pipeline | undefined> {
  return getOrUndefined(k3.pipeline.getPipeline({ id }), "pipeline", "GetPipeline");
}

async function findByOwner(k3: K3Client, obj: K3Pipeline): Promise<pipelinev1.Pipeline | undefined> {
  const { pipelines } = await k3.pipeline.listPipelines({ labelFilter: ownerLabelFilter(obj), pageSize: 1 });
  // Checked, not trusted: a filter the service ignored must not adopt somebody else's pipeline.
  return pipelines.find((p) => p.labels[ownerLabelKeys.uid] === obj.metadata.uid);
}

/**
 * The K3Pipeline external client of one reconcile. It remembers what observe saw, so update
 * sends an update_mask of exactly the fields that differ without reading the pipeline again.
 */
function newPipelineClient(k3: K3Client, catalogs: TemplateCatalogs): ExternalClient<K3Pipeline> {
  let observed: pipelinev1.Pipeline | undefined;
  return {
    async observe(obj, ctx): Promise<ExternalObservation> {
      const id = obj.status?.pipelineId || obj.spec.externalId;
      observed = id ? await getById(k3, id) : undefined;
      // No id recorded (or it vanished): a create whose answer was lost is found by its owner labels.
      if (!observed && !obj.spec.externalId && !ctx?.neverCreated) observed = await findByOwner(k3, obj);
      if (!observed) return { exists: false, upToDate: false };
      const upToDate = pipelineDiff(observed, desiredPipeline(obj)).length === 0;
      return { exists: true, upToDate, externalId: observed.id, status: observedStatus(observed), ready: readyOf(observed) };
    },

    async create(obj, { requestId }) {
      await catalogs.check(k3, obj);
      const { pipeline } = await k3.pipeline.createPipeline({ requestId, pipeline: desiredPipeline(obj) });
      if (!pipeline) throw new Error("CreatePipeline answered without a pipeline");
      // The answer is the created pipeline as a GetPipeline would show it: its state is the Ready condition.
      return { externalId: pipeline.id, status: observedStatus(pipeline), ready: readyOf(pipeline) };
    },

    async update(obj) {
      if (!observed) throw new Error("update called before observe");
      // An empty version keeps what was resolved at create.
      await catalogs.check(k3, obj, observed.template?.version);
      const desired = desiredPipeline(obj);
      const paths = pipelineDiff(observed, desired);
      const { pipeline } = await k3.pipeline.updatePipeline({
        pipeline: { ...desired, id: observed.id },
        updateMask: paths,
      });
      return { status: pipeline ? observedStatus(pipeline) : undefined };
    },

    async delete(obj) {
      const id = observed?.id ?? obj.status?.pipelineId;
      if (id) await k3.pipeline.deletePipeline({ id });
    },
  };
}

/** The K3Pipeline adapter of the managed reconciler. */
export function newPipelineAdapter(connections: Connections): ManagedAdapter<K3Pipeline> {
  const catalogs = new TemplateCatalogs();
  return {
    connector: { connect: async (obj) => newPipelineClient(await connections.forObject(obj), catalogs) },
    classify: classifyK3Error,
    summarize: summarizeK3Error,
    getExternalId: (obj) => obj.status?.pipelineId || undefined,
    setExternalId: (id) => ({ pipelineId: id }),
    getSpecExternalId: (obj) => obj.spec.externalId || undefined,
  };
}
