import { describe, expect, it } from "vitest";
import type { K3Pipeline } from "../../api/gen/index.js";
import { pipelinev1, type K3Client } from "../../grpc/index.js";
import { catalogTtlMs, parameterProblems, TemplateCatalogs } from "./templates.js";

const T = pipelinev1.ParameterType;
const v110 = pipelinev1.TemplateVersion.fromPartial({
  version: "1.1.0",
  parameters: [
    { name: "chunkSize", type: T.PARAMETER_TYPE_INTEGER, required: true },
    { name: "overlap", type: T.PARAMETER_TYPE_INTEGER },
    { name: "splitter", type: T.PARAMETER_TYPE_STRING },
  ],
});

describe("parameterProblems", () => {
  it.each([
    { reason: "fits", params: { chunkSize: 512, overlap: 64 }, problems: [] },
    { reason: "a missing required parameter is named with the version", params: { overlap: 1 }, problems: ["pipeline.parameters.chunkSize: required by version 1.1.0"] },
    { reason: "an unknown parameter lists what the version accepts", params: { chunkSize: 1, colour: "red" }, problems: ["pipeline.parameters.colour: unknown parameter; version 1.1.0 accepts: chunkSize, overlap, splitter"] },
    { reason: "a wrong type", params: { chunkSize: "big" }, problems: ["pipeline.parameters.chunkSize: must be an integer"] },
    { reason: "a null required parameter counts as missing", params: { chunkSize: null }, problems: ["pipeline.parameters.chunkSize: required by version 1.1.0"] },
  ])("$reason", ({ params, problems }) => {
    expect(parameterProblems(v110, params)).toEqual(problems);
  });
});

describe("TemplateCatalogs", () => {
  const template = pipelinev1.Template.fromPartial({ id: "tpl_dc", name: "document-chunker", latestVersion: "1.1.0", versions: [{ version: "1.0.0", parameters: [] }, v110] });
  function fakeK3(): { k3: K3Client; calls: string[] } {
    const calls: string[] = [];
    const k3 = {
      pipeline: {
        listTemplates: () => (calls.push("ListTemplates"), Promise.resolve({ templates: [template], nextPageToken: "" })),
        getTemplate: () => (calls.push("GetTemplate"), Promise.reject(Object.assign(new Error("nf"), { kind: "NotFound" }))),
      },
    } as unknown as K3Client; // only the two catalog RPCs are used
    return { k3, calls };
  }
  const cr = (template: K3Pipeline["spec"]["template"], parameters: Record<string, unknown>): K3Pipeline => ({
    apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Pipeline", metadata: { name: "p" }, spec: { template, parameters, destinations: [] },
  });

  it("resolves the latest version, a pinned one, and reads the catalog once per TTL", async () => {
    let now = 0;
    const catalogs = new TemplateCatalogs(() => now);
    const { k3, calls } = fakeK3();
    expect((await catalogs.check(k3, cr({ name: "document-chunker" }, { chunkSize: 1 }))).version).toBe("1.1.0");
    expect((await catalogs.check(k3, cr({ name: "document-chunker" }, {}), "1.0.0")).version).toBe("1.0.0");
    expect(calls).toEqual(["ListTemplates"]);
    now += catalogTtlMs + 1;
    await catalogs.check(k3, cr({ name: "document-chunker", version: "1.1.0" }, { chunkSize: 1 }));
    expect(calls).toEqual(["ListTemplates", "ListTemplates"]);
  });

  it.each([
    { reason: "bad parameters", spec: { name: "document-chunker" }, params: { overlap: 1 }, message: /chunkSize: required by version 1\.1\.0/ },
    { reason: "an unknown version", spec: { name: "document-chunker", version: "9.9.9" }, params: {}, message: /has no version "9\.9\.9"; versions: 1\.0\.0, 1\.1\.0/ },
  ])("refuses $reason as an invalid spec", async ({ spec, params, message }) => {
    const { k3 } = fakeK3();
    await expect(new TemplateCatalogs().check(k3, cr(spec, params))).rejects.toMatchObject({ errorClass: "invalidSpec", message: expect.stringMatching(message) as unknown });
  });
});
