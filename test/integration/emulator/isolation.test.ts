// Tenants are fully isolated: ids, lists, names, request_ids and internal sources are per
// tenant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import type { K3TestClient } from "../../../src/emulator/test-client.js";
import { expectGrpcError, GrpcStatus, pipelineInput, s3SourceInput, startTestEnv, type TestEnv } from "./support.js";

describe("tenant isolation", () => {
  let env: TestEnv;
  let red: K3TestClient;
  let blue: K3TestClient;
  beforeAll(async () => {
    env = await startTestEnv();
    red = env.client("red");
    blue = env.client("blue");
  });
  afterAll(async () => env.close());

  it("hides one tenant's objects from another, by id and in lists", async () => {
    const source = (await red.source.createSource({ source: s3SourceInput("red-src") })).source!;
    const pipeline = (await red.pipeline.createPipeline({ pipeline: pipelineInput("red-pl") })).pipeline!;
    const rule = (await red.ingest.createRule({ rule: { displayName: "red-rule", sourceId: source.id, pipelineId: pipeline.id, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } } })).rule!;
    const { triggerId } = await red.ingest.triggerIngest({ ruleId: rule.id });
    await expectGrpcError(blue.source.getSource({ id: source.id }), GrpcStatus.NOT_FOUND);
    await expectGrpcError(blue.pipeline.getPipeline({ id: pipeline.id }), GrpcStatus.NOT_FOUND);
    await expectGrpcError(blue.ingest.getRule({ id: rule.id }), GrpcStatus.NOT_FOUND);
    await expectGrpcError(blue.ingest.getIngestStatus({ triggerId }), GrpcStatus.NOT_FOUND);
    await expectGrpcError(blue.pipeline.deletePipeline({ id: pipeline.id }), GrpcStatus.NOT_FOUND);
    await expectGrpcError(blue.ingest.createRule({ rule: { displayName: "steal", sourceId: source.id, pipelineId: pipeline.id, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } } }), GrpcStatus.FAILED_PRECONDITION);
    expect((await blue.pipeline.listPipelines({})).pipelines).toEqual([]);
    expect((await blue.ingest.listRules({})).rules).toEqual([]);
    expect((await blue.ingest.listIngestJobs({})).totalSize).toBe(0);
    expect((await red.pipeline.getPipeline({ id: pipeline.id })).pipeline?.id).toBe(pipeline.id);
  });

  it("gives each tenant its own internal source", async () => {
    const redInternal = (await red.source.listSources({})).sources.find((s) => s.internal)!;
    const blueInternal = (await blue.source.listSources({})).sources.find((s) => s.internal)!;
    expect(redInternal.id).not.toBe(blueInternal.id);
    expect(blueInternal.internalS3?.prefix).toBe("tenants/blue/");
    await expectGrpcError(blue.source.getSource({ id: redInternal.id }), GrpcStatus.NOT_FOUND);
  });

  it("scopes display names and request_ids per tenant", async () => {
    const a = await red.pipeline.createPipeline({ requestId: "shared-req", pipeline: pipelineInput("same-name") });
    const b = await blue.pipeline.createPipeline({ requestId: "shared-req", pipeline: pipelineInput("same-name") });
    expect(b.pipeline?.id).not.toBe(a.pipeline?.id);
  });
});
