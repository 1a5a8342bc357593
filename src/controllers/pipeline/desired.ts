import { isDeepStrictEqual } from "node:util";
import { pipelinev1 } from "../../grpc/index.js";
import type { K3Pipeline } from "../../api/gen/index.js";
import { ownerLabels, remoteDisplayName } from "../owner.js";

/** The destination types of the CRD, mapped to the proto enum. */
const destinationTypes: Record<string, pipelinev1.DestinationType> = {
  VectorStore: pipelinev1.DestinationType.DESTINATION_TYPE_VECTOR_STORE,
  Warehouse: pipelinev1.DestinationType.DESTINATION_TYPE_WAREHOUSE,
  S3: pipelinev1.DestinationType.DESTINATION_TYPE_S3,
  Webhook: pipelinev1.DestinationType.DESTINATION_TYPE_WEBHOOK,
};

/** The remote pipeline a K3Pipeline asks for (only the fields we own). */
export interface DesiredPipeline {
  displayName: string;
  labels: Record<string, string>;
  template: { name: string; version: string };
  parameters: Record<string, unknown>;
  destinations: pipelinev1.Destination[];
}

/** Builds the desired remote pipeline from the custom resource's spec. */
export function desiredPipeline(cr: K3Pipeline): DesiredPipeline {
  const spec = cr.spec;
  return {
    displayName: remoteDisplayName(cr),
    labels: ownerLabels(cr),
    template: { name: spec.template.name, version: spec.template.version ?? "" },
    parameters: (spec.parameters ?? {}),
    destinations: (spec.destinations ?? []).map((d) => ({
      name: d.name,
      type: destinationTypes[d.type] ?? pipelinev1.DestinationType.DESTINATION_TYPE_UNSPECIFIED,
      config: Object.fromEntries(Object.entries(d.config ?? {}).filter((e): e is [string, string] => typeof e[1] === "string")),
    })),
  };
}

function sortedDestinations(list: pipelinev1.Destination[]): pipelinev1.Destination[] {
  return [...list]
    .map((d) => ({ name: d.name, type: d.type, config: { ...d.config } }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function labelsContain(observed: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => observed[k] === v);
}

/**
 * The update_mask paths where the observed pipeline differs from the desired one; empty
 * when up to date. An empty desired version means "whatever was resolved at create":
 * a newer catalog version never triggers an update by itself (pin a version to upgrade).
 * Labels set by others on the remote object are left alone: only ours must be present.
 */
export function pipelineDiff(observed: pipelinev1.Pipeline, desired: DesiredPipeline): string[] {
  const mask: string[] = [];
  if (observed.displayName !== desired.displayName) mask.push("display_name");
  if (!labelsContain(observed.labels, desired.labels)) mask.push("labels");
  const template = observed.template;
  const templateMatches =
    template?.name === desired.template.name &&
    (desired.template.version === "" || template.version === desired.template.version);
  if (!templateMatches) mask.push("template");
  if (!isDeepStrictEqual(observed.parameters ?? {}, desired.parameters)) mask.push("parameters");
  if (!isDeepStrictEqual(sortedDestinations(observed.destinations), sortedDestinations(desired.destinations))) {
    mask.push("destinations");
  }
  return mask;
}

/** True when the observed pipeline already matches the spec (a pure comparison). */
export function isUpToDate(observed: pipelinev1.Pipeline, desired: DesiredPipeline): boolean {
  return pipelineDiff(observed, desired).length === 0;
}
