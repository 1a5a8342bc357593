// PipelineService: pipelines (checked against the template catalog) and catalog browsing.
import {
  DestinationType,
  destinationTypeToJSON,
  type Pipeline,
  type PipelineServiceService,
  PipelineState,
} from "../../grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import type { Handlers } from "../context.js";
import { invalidArgument, notFound, Violations } from "../errors.js";
import { resolveUpdateMask } from "../field-mask.js";
import { matchesLabels, paginate } from "../pagination.js";
import { newId, type PipelineRecord, type TenantState } from "../store.js";
import { catalogTemplate, checkParameters, findTemplate, listTemplates } from "../templates.js";
import { copy, requireId } from "./common.js";

/**
 * Checks every field of a pipeline's desired state, resolving an empty version to the latest.
 * The result shares nested values with `pipeline`, which callers own (a decoded request).
 */
function checkPipeline(pipeline: Pipeline, violations: Violations): Pipeline {
  if (pipeline.displayName === "") violations.add("pipeline.display_name", "required", "REQUIRED");
  const resolved = { ...pipeline };
  const name = pipeline.template?.name ?? "";
  const template = name === "" ? undefined : catalogTemplate({ name });
  if (name === "") {
    violations.add("pipeline.template.name", "required", "REQUIRED");
  } else if (template === undefined) {
    violations.add("pipeline.template.name", `unknown template "${name}"; see ListTemplates`, "UNKNOWN_TEMPLATE");
  } else {
    const wanted = pipeline.template?.version ?? "";
    const version = template.versions.find((v) => v.version === (wanted === "" ? template.latestVersion : wanted));
    if (version === undefined) {
      violations.add("pipeline.template.version", `template ${name} has no version "${wanted}"; versions: ${template.versions.map((v) => v.version).join(", ")}`, "UNKNOWN_VERSION");
    } else {
      resolved.template = { id: template.id, name: template.name, version: version.version };
      checkParameters({ version, parameters: pipeline.parameters ?? {}, fieldPrefix: "pipeline.parameters", violations });
    }
  }
  if (pipeline.destinations.length === 0) violations.add("pipeline.destinations", "at least one destination is required", "REQUIRED");
  const seen = new Set<string>();
  pipeline.destinations.forEach((destination, index) => {
    const field = `pipeline.destinations[${index}]`;
    if (destination.name === "") violations.add(`${field}.name`, "required", "REQUIRED");
    else if (seen.has(destination.name)) violations.add(`${field}.name`, `duplicate destination name "${destination.name}"`, "DUPLICATE_NAME");
    seen.add(destination.name);
    if (destination.type === DestinationType.DESTINATION_TYPE_UNSPECIFIED || !(destination.type in DestinationType) || destination.type === DestinationType.UNRECOGNIZED) {
      violations.add(`${field}.type`, "required: VECTOR_STORE, WAREHOUSE, S3 or WEBHOOK", "REQUIRED");
    }
  });
  resolved.parameters = pipeline.parameters ?? {};
  return resolved;
}

/** "name (TYPE)" of each destination, joined by ", ": the binding's destination text. */
export function destinationText(pipeline: Pipeline): string {
  return pipeline.destinations.map((d) => `${d.name} (${destinationTypeToJSON(d.type).replace(/^DESTINATION_TYPE_/, "")})`).join(", ");
}

/** Finds a pipeline of the tenant or throws NOT_FOUND. */
export function getPipelineRecord(tenant: TenantState, id: string): PipelineRecord {
  const record = tenant.pipelines.get(id);
  if (record === undefined) throw notFound("pipeline", id);
  return record;
}

const OUTPUT_ONLY = "output only";

/** Handlers of PipelineService. */
export const pipelineHandlers: Handlers<typeof PipelineServiceService> = {
  createPipeline(ctx, request) {
    const replay = ctx.tenant.replay(ctx.rpc, request.requestId);
    if (replay !== undefined) {
      const existing = ctx.tenant.pipelines.get(replay.id);
      return existing === undefined ? copy(replay.response as { pipeline: Pipeline }) : { pipeline: copy(existing.pipeline) };
    }
    if (request.pipeline === undefined) throw invalidArgument([{ field: "pipeline", description: "required", reason: "REQUIRED" }]);
    const violations = new Violations();
    const resolved = checkPipeline(request.pipeline, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("pipeline", resolved.displayName);
    const at = new Date(ctx.now);
    const pipeline: Pipeline = { ...resolved, id: newId("pl"), state: PipelineState.PIPELINE_STATE_ACTIVE, stateMessage: "", createTime: at, updateTime: at };
    ctx.tenant.pipelines.set(pipeline.id, { seq: ctx.tenant.nextSeq(), pipeline });
    ctx.tenant.recordName("pipeline", pipeline.displayName, pipeline.id);
    const response = { pipeline: copy(pipeline) };
    ctx.tenant.remember(ctx.rpc, request.requestId, { id: pipeline.id, response });
    return response;
  },

  getPipeline(ctx, request) {
    requireId("id", request.id);
    return { pipeline: copy(getPipelineRecord(ctx.tenant, request.id).pipeline) };
  },

  listPipelines(ctx, request) {
    const matching = [...ctx.tenant.pipelines.values()].filter((r) => matchesLabels(r.pipeline.labels, request.labelFilter));
    const page = paginate({ items: matching, seqOf: (r) => r.seq, request, filter: { labels: request.labelFilter } });
    return { pipelines: page.items.map((r) => copy(r.pipeline)), nextPageToken: page.nextPageToken };
  },

  updatePipeline(ctx, request) {
    requireId("pipeline.id", request.pipeline?.id ?? "");
    const update = request.pipeline as Pipeline;
    const record = getPipelineRecord(ctx.tenant, update.id);
    const paths = resolveUpdateMask({
      paths: request.updateMask,
      mutable: ["display_name", "labels", "template", "parameters", "destinations"],
      immutable: { id: OUTPUT_ONLY, state: OUTPUT_ONLY, state_message: OUTPUT_ONLY, create_time: OUTPUT_ONLY, update_time: OUTPUT_ONLY },
      populated: (path) => ({
        display_name: update.displayName !== "", labels: Object.keys(update.labels).length > 0,
        template: update.template !== undefined, parameters: update.parameters !== undefined, destinations: update.destinations.length > 0,
      })[path] ?? false,
    });
    const next = copy(record.pipeline);
    if (paths.has("display_name")) next.displayName = update.displayName;
    if (paths.has("labels")) next.labels = { ...update.labels };
    if (paths.has("template")) next.template = { id: "", name: update.template?.name ?? "", version: update.template?.version ?? "" };
    if (paths.has("parameters")) next.parameters = copy(update.parameters ?? {});
    if (paths.has("destinations")) next.destinations = copy(update.destinations);
    const violations = new Violations();
    const resolved = checkPipeline(next, violations);
    violations.throwIfAny();
    ctx.tenant.assertNameFree("pipeline", resolved.displayName, resolved.id);
    if (paths.size > 0) resolved.updateTime = new Date(ctx.now);
    record.pipeline = resolved;
    ctx.tenant.recordName("pipeline", resolved.displayName, resolved.id);
    return { pipeline: copy(resolved) };
  },

  deletePipeline(ctx, request) {
    requireId("id", request.id);
    getPipelineRecord(ctx.tenant, request.id);
    ctx.tenant.pipelines.delete(request.id);
    return {};
  },

  listTemplates(_ctx, request) {
    const templates = listTemplates().map((template, index) => ({ template, seq: index + 1 }));
    const page = paginate({ items: templates, seqOf: (t) => t.seq, request, filter: {} });
    return { templates: page.items.map((t) => t.template), nextPageToken: page.nextPageToken };
  },

  getTemplate(_ctx, request) {
    const violations = new Violations();
    if (request.id === "" && request.name === "") violations.add("id", "set exactly one of id and name", "REQUIRED");
    if (request.id !== "" && request.name !== "") violations.add("name", "set exactly one of id and name", "ONE_OF");
    violations.throwIfAny();
    const template = findTemplate(request);
    if (template === undefined) throw notFound("template", request.id !== "" ? request.id : request.name);
    return { template };
  },
};
