import { group, kinds, plurals, version } from "../api/keys.js";
import type { ResourceType } from "../runtime/index.js";

function k3Resource(kind: keyof typeof plurals): ResourceType {
  return { group, version, plural: plurals[kind], kind, namespaced: true };
}

/** The four k3.dodil.io kinds as the runtime addresses them. */
export const K3Resources = {
  K3Source: k3Resource(kinds.source),
  K3Pipeline: k3Resource(kinds.pipeline),
  K3IngestRule: k3Resource(kinds.ingestRule),
  K3IngestJob: k3Resource(kinds.ingestJob),
} as const satisfies Record<string, ResourceType>;
