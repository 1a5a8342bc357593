import { group, kinds, plurals, version } from "./keys.js";

/** How the apiserver addresses one kind (the shape of src/runtime's ResourceType). */
export interface K3Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: true;
}

function k3Resource(kind: keyof typeof plurals): K3Resource {
  return { group, version, plural: plurals[kind], kind, namespaced: true };
}

/** The four k3.dodil.io kinds as the operator and the kubectl plugin address them. */
export const K3Resources = {
  K3Source: k3Resource(kinds.source),
  K3Pipeline: k3Resource(kinds.pipeline),
  K3IngestRule: k3Resource(kinds.ingestRule),
  K3IngestJob: k3Resource(kinds.ingestJob),
} as const satisfies Record<string, K3Resource>;
