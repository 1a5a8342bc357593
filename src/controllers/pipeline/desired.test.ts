import { describe, expect, it } from "vitest";
import type { K3Pipeline } from "../../api/gen/index.js";
import { pipelinev1 } from "../../grpc/index.js";
import { desiredPipeline, isUpToDate, pipelineDiff } from "./desired.js";

const cr: K3Pipeline = {
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Pipeline",
  metadata: { namespace: "team-a", name: "chunker", uid: "uid-1" },
  spec: {
    template: { name: "document-chunker", version: "1.1.0" },
    parameters: { chunkSize: 512, overlap: 64 },
    destinations: [
      { name: "b-hook", type: "Webhook", config: { url: "https://example.com/h" } },
      { name: "a-index", type: "VectorStore", config: { collection: "c" } },
    ],
  },
};

/** The remote pipeline exactly as the spec asks, plus server-side fields. */
function remote(): pipelinev1.Pipeline {
  const d = desiredPipeline(cr);
  return {
    id: "pl_1",
    displayName: d.displayName,
    labels: { ...d.labels, "added-by": "someone-else" },
    template: { id: "tpl_document_chunker", name: "document-chunker", version: "1.1.0" },
    parameters: { chunkSize: 512, overlap: 64 },
    destinations: [...d.destinations].reverse(),
    state: pipelinev1.PipelineState.PIPELINE_STATE_ACTIVE,
    stateMessage: "",
  };
}

describe("desiredPipeline", () => {
  it("names the remote object namespace/name, labels it with its owner and maps destination types", () => {
    const d = desiredPipeline(cr);
    expect(d.displayName).toBe("team-a/chunker");
    expect(d.labels).toEqual({ "k3.dodil.io/uid": "uid-1", "k3.dodil.io/namespace": "team-a", "k3.dodil.io/name": "chunker" });
    expect(d.destinations.map((x) => x.type)).toEqual([
      pipelinev1.DestinationType.DESTINATION_TYPE_WEBHOOK,
      pipelinev1.DestinationType.DESTINATION_TYPE_VECTOR_STORE,
    ]);
  });
});

describe("pipelineDiff", () => {
  it.each<{ reason: string; change: (p: pipelinev1.Pipeline) => void; mask: string[] }>([
    { reason: "identical (destination order and foreign labels ignored)", change: () => undefined, mask: [] },
    { reason: "display name renamed remotely", change: (p) => (p.displayName = "x"), mask: ["display_name"] },
    { reason: "our owner label removed remotely", change: (p) => delete p.labels["k3.dodil.io/uid"], mask: ["labels"] },
    { reason: "template version differs", change: (p) => (p.template = { id: "t", name: "document-chunker", version: "1.0.0" }), mask: ["template"] },
    { reason: "template name differs", change: (p) => (p.template = { id: "t", name: "pdf-to-markdown", version: "1.1.0" }), mask: ["template"] },
    { reason: "parameter value differs", change: (p) => (p.parameters = { chunkSize: 256, overlap: 64 }), mask: ["parameters"] },
    { reason: "extra parameter remotely", change: (p) => (p.parameters = { chunkSize: 512, overlap: 64, splitter: "x" }), mask: ["parameters"] },
    { reason: "destination config differs", change: (p) => (p.destinations[0]!.config = { url: "https://other" }), mask: ["destinations"] },
    { reason: "destination missing", change: (p) => p.destinations.pop(), mask: ["destinations"] },
    {
      reason: "several fields at once, in a stable order",
      change: (p) => {
        p.displayName = "x";
        p.parameters = {};
      },
      mask: ["display_name", "parameters"],
    },
  ])("$reason", ({ change, mask }) => {
    const observed = remote();
    change(observed);
    expect(pipelineDiff(observed, desiredPipeline(cr))).toEqual(mask);
    expect(isUpToDate(observed, desiredPipeline(cr))).toBe(mask.length === 0);
  });

  it("an empty spec version accepts whatever version the service resolved", () => {
    const latest: K3Pipeline = { ...cr, spec: { ...cr.spec, template: { name: "document-chunker" } } };
    expect(pipelineDiff(remote(), desiredPipeline(latest))).toEqual([]);
  });
});
