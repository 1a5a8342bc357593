import { describe, expect, it } from "vitest";
import { annotations, apiVersion, credentialLabels, finalizer, isAnnotationTrue, ownerLabels } from "./keys.js";

describe("keys", () => {
  it("spells every key in the k3.dodil.io group, as DESIGN §1.2 names them", () => {
    expect(apiVersion).toBe("k3.dodil.io/v1alpha1");
    expect(finalizer).toBe("k3.dodil.io/finalizer");
    expect(annotations).toEqual({
      paused: "k3.dodil.io/paused",
      requestedDiscoveryAt: "k3.dodil.io/requested-discovery-at",
      requestedIngestionAt: "k3.dodil.io/requested-ingestion-at",
      fullSync: "k3.dodil.io/full-sync",
      restartOAuth: "k3.dodil.io/restart-oauth",
    });
    expect(ownerLabels).toEqual({ uid: "k3.dodil.io/uid", namespace: "k3.dodil.io/namespace", name: "k3.dodil.io/name" });
    expect(credentialLabels).toEqual({ secretHash: "k3.dodil.io/secret-hash" });
  });

  it.each<{ reason: string; annotations: Record<string, string> | undefined; want: boolean }>([
    { reason: "exactly true", annotations: { [annotations.paused]: "true" }, want: true },
    { reason: "other truthy spelling is not accepted", annotations: { [annotations.paused]: "True" }, want: false },
    { reason: "false", annotations: { [annotations.paused]: "false" }, want: false },
    { reason: "absent", annotations: {}, want: false },
    { reason: "no annotations at all", annotations: undefined, want: false },
  ])("isAnnotationTrue: $reason", ({ annotations: a, want }) => {
    expect(isAnnotationTrue(a === undefined ? {} : { annotations: a }, annotations.paused)).toBe(want);
  });
});
