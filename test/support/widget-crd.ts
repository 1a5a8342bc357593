// A tiny CRD of the runtime's own (`widgets.test.k3.dodil.io`) so the runtime's integration
// tests do not depend on the product CRDs.
import type { ResourceType } from "../../src/runtime/index.js";
import { kubectlOk } from "./kube.js";

/** The test kind: namespaced, with a status subresource, free-form spec and status. */
export const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };

const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.test.k3.dodil.io" },
  spec: {
    group: "test.k3.dodil.io",
    names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      },
    ],
  },
};

/** Applies the Widget CRD (idempotent; several test files may call it) and waits until it is served. */
export async function installWidgetCrd(): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(crd) });
  await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.test.k3.dodil.io"]);
  // Established can precede discovery by a moment; a list succeeding is the real signal.
  for (let i = 0; ; i++) {
    try {
      await kubectlOk(["get", "widgets.test.k3.dodil.io", "-A"]);
      return;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
