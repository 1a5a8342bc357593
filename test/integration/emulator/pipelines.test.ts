// PipelineService: pipelines checked against the template catalog (parameters, versions,
// destinations), idempotent create, pagination, update_mask, delete, and catalog browsing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DestinationType, ParameterType, PipelineState } from "../../../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { expectGrpcError, GrpcStatus, pipelineInput, startTestEnv, type TestEnv, violatedFields } from "./support.js";

describe("pipelines", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  describe("CreatePipeline", () => {
    it("creates an ACTIVE pipeline and records the resolved latest version", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("create-ok") });
      expect(pipeline?.id).toMatch(/^pl_/);
      expect(pipeline?.template).toEqual({ id: "tpl_document_chunker", name: "document-chunker", version: "1.1.0" });
      expect(pipeline).toMatchObject({ state: PipelineState.PIPELINE_STATE_ACTIVE, parameters: { chunkSize: 512 }, labels: { team: "search" } });
      expect(pipeline?.destinations).toEqual([{ name: "main", type: DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: { index: "docs" } }]);
    });

    it.each([
      { reason: "an unknown parameter", template: { name: "document-chunker" }, parameters: { chunkSize: 1, colour: "red" }, fields: ["pipeline.parameters.colour"] },
      { reason: "a missing required parameter", template: { name: "document-chunker" }, parameters: { overlap: 1 }, fields: ["pipeline.parameters.chunkSize"] },
      { reason: "a wrongly typed parameter", template: { name: "document-chunker" }, parameters: { chunkSize: "512" }, fields: ["pipeline.parameters.chunkSize"] },
      { reason: "a fractional integer", template: { name: "image-captioner" }, parameters: { model: "m", maxTokens: 1.5 }, fields: ["pipeline.parameters.maxTokens"] },
      { reason: "a boolean given as a string", template: { name: "pdf-to-markdown" }, parameters: { ocr: "yes" }, fields: ["pipeline.parameters.ocr"] },
      { reason: "a 1.1.0 parameter on 1.0.0", template: { name: "document-chunker", version: "1.0.0" }, parameters: { chunkSize: 1, minChunkSize: 2 }, fields: ["pipeline.parameters.minChunkSize"] },
      { reason: "three problems at once", template: { name: "document-chunker" }, parameters: { overlap: "x", extra: 1 }, fields: ["pipeline.parameters.chunkSize", "pipeline.parameters.extra", "pipeline.parameters.overlap"] },
      { reason: "an unknown template", template: { name: "summarizer" }, parameters: {}, fields: ["pipeline.template.name"] },
      { reason: "an unknown version", template: { name: "document-chunker", version: "9.9.9" }, parameters: { chunkSize: 1 }, fields: ["pipeline.template.version"] },
      { reason: "no template", template: undefined, parameters: {}, fields: ["pipeline.template.name"] },
    ])("refuses $reason with one field violation per problem", async ({ reason, template, parameters, fields }) => {
      const details = await expectGrpcError(
        env.k3.pipeline.createPipeline({ pipeline: pipelineInput(`bad-${reason}`, { template, parameters }) }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(violatedFields(details)).toEqual(fields);
      expect(details.fieldViolations.every((v) => v.description !== "" && v.reason !== "")).toBe(true);
    });

    it("accepts 1.1.0's extra parameter on 1.1.0 and keeps parameters exactly as given (no defaults written)", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({
        pipeline: pipelineInput("min-chunk", { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 256, minChunkSize: 32 } }),
      });
      expect(pipeline?.parameters).toEqual({ chunkSize: 256, minChunkSize: 32 });
    });

    it.each([
      { reason: "no destination", destinations: [], fields: ["pipeline.destinations"] },
      { reason: "duplicate names", destinations: [{ name: "a", type: DestinationType.DESTINATION_TYPE_S3 }, { name: "a", type: DestinationType.DESTINATION_TYPE_WEBHOOK }], fields: ["pipeline.destinations[1].name"] },
      { reason: "a nameless, typeless destination", destinations: [{}], fields: ["pipeline.destinations[0].name", "pipeline.destinations[0].type"] },
    ])("refuses $reason", async ({ reason, destinations, fields }) => {
      const details = await expectGrpcError(env.k3.pipeline.createPipeline({ pipeline: pipelineInput(`dest-${reason}`, { destinations }) }), GrpcStatus.INVALID_ARGUMENT);
      expect(violatedFields(details)).toEqual(fields);
    });

    it("returns the first pipeline for a repeated request_id and refuses a taken name", async () => {
      const first = await env.k3.pipeline.createPipeline({ requestId: "pl-req-1", pipeline: pipelineInput("idem-pl") });
      const again = await env.k3.pipeline.createPipeline({ requestId: "pl-req-1", pipeline: pipelineInput("idem-pl") });
      expect(again.pipeline?.id).toBe(first.pipeline?.id);
      const details = await expectGrpcError(env.k3.pipeline.createPipeline({ pipeline: pipelineInput("idem-pl") }), GrpcStatus.ALREADY_EXISTS);
      expect(details.errorInfo).toMatchObject({ reason: "DISPLAY_NAME_IN_USE", metadata: { existingId: first.pipeline!.id } });
    });
  });

  it("frees a display name when its pipeline is renamed or deleted", async () => {
    const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("name-a") });
    await env.k3.pipeline.updatePipeline({ pipeline: { id: pipeline!.id, displayName: "name-b" }, updateMask: ["display_name"] });
    const reused = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("name-a") });
    await expectGrpcError(env.k3.pipeline.createPipeline({ pipeline: pipelineInput("name-b") }), GrpcStatus.ALREADY_EXISTS);
    await env.k3.pipeline.deletePipeline({ id: reused.pipeline!.id });
    expect((await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("name-a") })).pipeline?.displayName).toBe("name-a");
  });

  describe("GetPipeline", () => {
    it("returns a pipeline by id; NOT_FOUND otherwise", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("get-me") });
      expect((await env.k3.pipeline.getPipeline({ id: pipeline!.id })).pipeline).toEqual(pipeline);
      const details = await expectGrpcError(env.k3.pipeline.getPipeline({ id: "pl_nope" }), GrpcStatus.NOT_FOUND);
      expect(details.errorInfo?.reason).toBe("PIPELINE_NOT_FOUND");
    });
  });

  describe("ListPipelines", () => {
    it("pages through 25 pipelines with page size 10: three pages, oldest first, nothing lost or repeated", async () => {
      const k3 = env.client("list-pipelines");
      const created: string[] = [];
      for (let i = 0; i < 25; i++) created.push((await k3.pipeline.createPipeline({ pipeline: pipelineInput(`lp-${i}`) })).pipeline!.id);
      const pages: string[][] = [];
      let token = "";
      do {
        const page = await k3.pipeline.listPipelines({ pageSize: 10, pageToken: token });
        pages.push(page.pipelines.map((p) => p.id));
        token = page.nextPageToken;
      } while (token !== "");
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(created);
    });

    it("keeps pages stable when an item of a served page is deleted in between", async () => {
      const k3 = env.client("stable-pages");
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await k3.pipeline.createPipeline({ pipeline: pipelineInput(`sp-${i}`) })).pipeline!.id);
      const first = await k3.pipeline.listPipelines({ pageSize: 3 });
      await k3.pipeline.deletePipeline({ id: ids[0]! });
      const second = await k3.pipeline.listPipelines({ pageSize: 3, pageToken: first.nextPageToken });
      expect(second.pipelines.map((p) => p.id)).toEqual(ids.slice(3));
    });

    it("filters on labels and refuses a bad token and a wrong-token-for-filter", async () => {
      const k3 = env.client("list-pipelines");
      expect((await k3.pipeline.listPipelines({ labelFilter: { team: "nobody" } })).pipelines).toEqual([]);
      expect((await k3.pipeline.listPipelines({ labelFilter: { team: "search" }, pageSize: 1000 })).pipelines).toHaveLength(25);
      const page = await k3.pipeline.listPipelines({ pageSize: 10 });
      await expectGrpcError(k3.pipeline.listPipelines({ pageToken: page.nextPageToken, labelFilter: { team: "search" } }), GrpcStatus.INVALID_ARGUMENT);
      await expectGrpcError(k3.pipeline.listPipelines({ pageToken: "%%%" }), GrpcStatus.INVALID_ARGUMENT);
    });
  });

  describe("UpdatePipeline", () => {
    it("changes only masked fields and re-checks parameters", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("upd-pl") });
      const { pipeline: updated } = await env.k3.pipeline.updatePipeline({
        pipeline: { id: pipeline!.id, displayName: "not-applied", parameters: { chunkSize: 1024, overlap: 64 } },
        updateMask: ["parameters"],
      });
      expect(updated).toMatchObject({ displayName: "upd-pl", parameters: { chunkSize: 1024, overlap: 64 } });
      const details = await expectGrpcError(
        env.k3.pipeline.updatePipeline({ pipeline: { id: pipeline!.id, parameters: { overlap: 1 } }, updateMask: ["parameters"] }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(violatedFields(details)).toEqual(["pipeline.parameters.chunkSize"]);
      expect((await env.k3.pipeline.getPipeline({ id: pipeline!.id })).pipeline?.parameters).toEqual({ chunkSize: 1024, overlap: 64 });
    });

    it("moves to another template version, resolving an empty version to the latest", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("ver-pl", { template: { name: "document-chunker", version: "1.0.0" } }) });
      expect(pipeline?.template?.version).toBe("1.0.0");
      const { pipeline: updated } = await env.k3.pipeline.updatePipeline({ pipeline: { id: pipeline!.id, template: { name: "document-chunker" } }, updateMask: ["template"] });
      expect(updated?.template?.version).toBe("1.1.0");
    });

    it("refuses an unknown mask path and an unknown pipeline", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("mask-pl") });
      const details = await expectGrpcError(env.k3.pipeline.updatePipeline({ pipeline: { id: pipeline!.id }, updateMask: ["state"] }), GrpcStatus.INVALID_ARGUMENT);
      expect(details.fieldViolations[0]).toMatchObject({ field: "update_mask", reason: "IMMUTABLE_FIELD" });
      await expectGrpcError(env.k3.pipeline.updatePipeline({ pipeline: { id: "pl_nope", displayName: "x" } }), GrpcStatus.NOT_FOUND);
    });
  });

  describe("DeletePipeline", () => {
    it("deletes; the pipeline is then NOT_FOUND", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("del-pl") });
      expect(await env.k3.pipeline.deletePipeline({ id: pipeline!.id })).toEqual({});
      await expectGrpcError(env.k3.pipeline.getPipeline({ id: pipeline!.id }), GrpcStatus.NOT_FOUND);
      await expectGrpcError(env.k3.pipeline.deletePipeline({ id: pipeline!.id }), GrpcStatus.NOT_FOUND);
    });
  });
});

describe("templates", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  it("ListTemplates lists exactly the seeded catalog, each with 1.0.0 and 1.1.0", async () => {
    const { templates, nextPageToken } = await env.k3.pipeline.listTemplates({});
    expect(nextPageToken).toBe("");
    expect(templates.map((t) => [t.id, t.name, t.latestVersion, t.versions.map((v) => v.version)])).toEqual([
      ["tpl_document_chunker", "document-chunker", "1.1.0", ["1.0.0", "1.1.0"]],
      ["tpl_pdf_to_markdown", "pdf-to-markdown", "1.1.0", ["1.0.0", "1.1.0"]],
      ["tpl_image_captioner", "image-captioner", "1.1.0", ["1.0.0", "1.1.0"]],
    ]);
    const chunker = templates[0]!;
    const params = (i: number) => chunker.versions[i]!.parameters.map((p) => [p.name, p.type, p.required, p.defaultValue as unknown]);
    expect(params(0)).toEqual([
      ["chunkSize", ParameterType.PARAMETER_TYPE_INTEGER, true, null],
      ["overlap", ParameterType.PARAMETER_TYPE_INTEGER, false, 0],
      ["splitter", ParameterType.PARAMETER_TYPE_STRING, false, "paragraph"],
    ]);
    expect(params(1)).toContainEqual(["minChunkSize", ParameterType.PARAMETER_TYPE_INTEGER, false, null]);
    const pdf = templates[1]!.versions[0]!.parameters.map((p) => [p.name, p.type, p.defaultValue as unknown]);
    expect(pdf).toEqual([["ocr", ParameterType.PARAMETER_TYPE_BOOLEAN, false], ["language", ParameterType.PARAMETER_TYPE_STRING, "en"]]);
    const captioner = templates[2]!.versions[0]!.parameters.map((p) => [p.name, p.type, p.required, p.defaultValue as unknown]);
    expect(captioner).toEqual([["model", ParameterType.PARAMETER_TYPE_STRING, true, null], ["maxTokens", ParameterType.PARAMETER_TYPE_INTEGER, false, 256]]);
  });

  it("ListTemplates pages with page size 1 and refuses a negative page size", async () => {
    const first = await env.k3.pipeline.listTemplates({ pageSize: 1 });
    const second = await env.k3.pipeline.listTemplates({ pageSize: 1, pageToken: first.nextPageToken });
    const third = await env.k3.pipeline.listTemplates({ pageSize: 1, pageToken: second.nextPageToken });
    expect([first, second, third].map((p) => p.templates[0]?.name)).toEqual(["document-chunker", "pdf-to-markdown", "image-captioner"]);
    expect(third.nextPageToken).toBe("");
    await expectGrpcError(env.k3.pipeline.listTemplates({ pageSize: -5 }), GrpcStatus.INVALID_ARGUMENT);
  });

  it.each([
    { reason: "by id", request: { id: "tpl_image_captioner" } },
    { reason: "by name", request: { name: "image-captioner" } },
  ])("GetTemplate finds a template $reason", async ({ request }) => {
    const { template } = await env.k3.pipeline.getTemplate(request);
    expect(template?.id).toBe("tpl_image_captioner");
    expect(template?.versions[1]?.publishTime).toBeInstanceOf(Date);
  });

  it("GetTemplate answers NOT_FOUND for an unknown name and INVALID_ARGUMENT for neither or both keys", async () => {
    await expectGrpcError(env.k3.pipeline.getTemplate({ name: "nope" }), GrpcStatus.NOT_FOUND);
    expect(violatedFields(await expectGrpcError(env.k3.pipeline.getTemplate({}), GrpcStatus.INVALID_ARGUMENT))).toEqual(["id"]);
    expect(violatedFields(await expectGrpcError(env.k3.pipeline.getTemplate({ id: "tpl_image_captioner", name: "image-captioner" }), GrpcStatus.INVALID_ARGUMENT))).toEqual(["name"]);
  });
});
