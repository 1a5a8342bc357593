import { describe, expect, it } from "vitest";
import { apiVersionOf, collectionPath, CoreTypes, objectPath, type ResourceType } from "./resource.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const nodes: ResourceType = { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false };

describe("resource paths", () => {
  it.each([
    { reason: "custom, one namespace", got: collectionPath(widgets, "a"), want: "/apis/test.k3.dodil.io/v1/namespaces/a/widgets" },
    { reason: "custom, all namespaces", got: collectionPath(widgets), want: "/apis/test.k3.dodil.io/v1/widgets" },
    { reason: "core group", got: collectionPath(CoreTypes.Secret, "a"), want: "/api/v1/namespaces/a/secrets" },
    { reason: "cluster-scoped ignores namespace", got: collectionPath(nodes, "a"), want: "/api/v1/nodes" },
    { reason: "status subresource", got: objectPath(widgets, { namespace: "a", name: "w" }, "status"), want: "/apis/test.k3.dodil.io/v1/namespaces/a/widgets/w/status" },
    { reason: "apiVersion of core", got: apiVersionOf(CoreTypes.Event), want: "v1" },
    { reason: "apiVersion of a group", got: apiVersionOf(CoreTypes.Lease), want: "coordination.k8s.io/v1" },
  ])("$reason", ({ got, want }) => {
    expect(got).toBe(want);
  });

  it("refuses a namespaced object without namespace", () => {
    expect(() => objectPath(widgets, { name: "w" })).toThrow(/namespace is required/);
  });
});
