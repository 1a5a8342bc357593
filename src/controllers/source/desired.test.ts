import { describe, expect, it } from "vitest";
import type { K3Source } from "../../api/gen/index.js";
import { sourcev1 } from "../../grpc/index.js";
import { desiredSource, sourceDiff, sourceMessage } from "./desired.js";

const cr = (spec: Partial<K3Source["spec"]>): K3Source => ({
  apiVersion: "k3.dodil.io/v1alpha1",
  kind: "K3Source",
  metadata: { namespace: "ns", name: "docs", uid: "u1" },
  spec: { type: "S3", s3: { bucket: "b", region: "eu-west-1" }, ...spec },
});

/** The remote source as the service would answer for `spec` (every config string present). */
function remoteFor(spec: Partial<K3Source["spec"]>, credentialId = "cred1"): sourcev1.Source {
  const msg = sourceMessage(desiredSource(cr(spec), credentialId), "src1");
  return { ...sourcev1.Source.fromPartial(msg), status: sourcev1.SourceStatus.SOURCE_STATUS_ACTIVE };
}

describe("sourceDiff", () => {
  it.each([
    { reason: "the same spec: nothing to do", before: {}, after: {}, cred: "cred1", mask: [] },
    { reason: "a bucket change updates the s3 block only", before: {}, after: { s3: { bucket: "c", region: "eu-west-1" } }, cred: "cred1", mask: ["s3"] },
    { reason: "an optional field set to its empty value is no change", before: {}, after: { s3: { bucket: "b", region: "eu-west-1", prefix: "" } }, cred: "cred1", mask: [] },
    { reason: "a rotated credential points the source at the new one", before: {}, after: {}, cred: "cred2", mask: ["credential_id"] },
    { reason: "a display name set in spec", before: {}, after: { displayName: "Docs" }, cred: "cred1", mask: ["display_name"] },
    { reason: "Azure Blob uses the proto path azure_blob", before: { type: "AzureBlob" as const, s3: undefined, azureBlob: { account: "a", container: "c" } }, after: { type: "AzureBlob" as const, s3: undefined, azureBlob: { account: "a", container: "d" } }, cred: "cred1", mask: ["azure_blob"] },
    { reason: "SharePoint uses share_point; GitHub branch change", before: { type: "GitHub" as const, s3: undefined, github: { owner: "o", repo: "r" } }, after: { type: "GitHub" as const, s3: undefined, github: { owner: "o", repo: "r", branch: "dev" } }, cred: "cred1", mask: ["github"] },
  ])("$reason", ({ before, after, cred, mask }) => {
    expect(sourceDiff(remoteFor(before), desiredSource(cr(after), cred))).toEqual(mask);
  });

  it("labels others added remotely are left alone; a missing owner label is restored", () => {
    const remote = remoteFor({});
    expect(sourceDiff({ ...remote, labels: { ...remote.labels, team: "x" } }, desiredSource(cr({}), "cred1"))).toEqual([]);
    expect(sourceDiff({ ...remote, labels: {} }, desiredSource(cr({}), "cred1"))).toEqual(["labels"]);
  });

  it("the display name defaults to namespace/name; the type maps to the proto enum", () => {
    const d = desiredSource(cr({ type: "HTTP", s3: undefined, http: { url: "https://x/" } }), "");
    expect(d.displayName).toBe("ns/docs");
    expect(d.type).toBe(sourcev1.SourceType.SOURCE_TYPE_HTTP);
    expect(sourceMessage(d)).toMatchObject({ http: { url: "https://x/" }, credentialId: "" });
  });
});
