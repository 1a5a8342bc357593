// IngestService rule RPCs: routing on pipeline_id with a binding derived at read time (and
// unset once the pipeline is deleted, the rule living on), trigger/schedule checks, missing
// references, update_mask, listing filters, idempotency and delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriggerType } from "../../../src/grpc/gen/dodil/k3/ingest/v1/ingest.js";
import { DestinationType } from "../../../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { expectGrpcError, GrpcStatus, pipelineInput, s3SourceInput, startTestEnv, type TestEnv, violatedFields } from "./support.js";

describe("rules", () => {
  let env: TestEnv;
  let sourceId: string;
  let pipelineId: string;
  const rule = (displayName: string, overrides: Record<string, unknown> = {}) => ({
    displayName, sourceId, pipelineId, enabled: true, trigger: { type: TriggerType.TRIGGER_TYPE_ON_NEW_OBJECT }, ...overrides,
  });

  beforeAll(async () => {
    env = await startTestEnv();
    sourceId = (await env.k3.source.createSource({ source: s3SourceInput("rules-src") })).source!.id;
    pipelineId = (await env.k3.pipeline.createPipeline({
      pipeline: pipelineInput("rules-pl", {
        destinations: [
          { name: "vectors", type: DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: {} },
          { name: "archive", type: DestinationType.DESTINATION_TYPE_S3, config: {} },
        ],
      }),
    })).pipeline!.id;
  });
  afterAll(async () => env.close());

  describe("CreateRule", () => {
    it("creates a rule whose binding is derived from its pipeline", async () => {
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("bound", { filter: { includePaths: ["**/*.pdf"], mimeTypes: ["application/pdf"] } }) });
      expect(created?.id).toMatch(/^rule_/);
      expect(created?.binding).toEqual({ pipelineName: "rules-pl", kind: "document-chunker", destination: "vectors (VECTOR_STORE), archive (S3)" });
      expect(created?.filter).toMatchObject({ includePaths: ["**/*.pdf"], mimeTypes: ["application/pdf"], maxObjectSizeBytes: "0" });
    });

    it.each([
      { reason: "SCHEDULE without a schedule", trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE }, field: "rule.trigger.schedule" },
      { reason: "a four-field cron", trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "0 * * *" }, field: "rule.trigger.schedule" },
      { reason: "minute 60", trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "60 * * * *" }, field: "rule.trigger.schedule" },
      { reason: "a schedule on MANUAL", trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL, schedule: "0 * * * *" }, field: "rule.trigger.schedule" },
      { reason: "no trigger type", trigger: {}, field: "rule.trigger.type" },
      { reason: "no trigger", trigger: undefined, field: "rule.trigger" },
    ])("refuses $reason", async ({ reason, trigger, field }) => {
      const details = await expectGrpcError(env.k3.ingest.createRule({ rule: rule(`bad-${reason}`, { trigger }) }), GrpcStatus.INVALID_ARGUMENT);
      expect(violatedFields(details)).toEqual([field]);
    });

    it("accepts a five-field cron on SCHEDULE", async () => {
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("nightly", { trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "30 2 * * MON-FRI" } }) });
      expect(created?.trigger).toEqual({ type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "30 2 * * MON-FRI" });
    });

    it("refuses missing fields and bad filters with one violation each", async () => {
      const details = await expectGrpcError(
        env.k3.ingest.createRule({ rule: { trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL }, filter: { includePaths: [""], mimeTypes: ["pdf"], maxObjectSizeBytes: "-1" } } }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(violatedFields(details)).toEqual([
        "rule.display_name", "rule.filter.include_paths[0]", "rule.filter.max_object_size_bytes", "rule.filter.mime_types[0]", "rule.pipeline_id", "rule.source_id",
      ]);
    });

    it.each([
      { reason: "an unknown pipeline", overrides: { pipelineId: "pl_nope" }, errorReason: "PIPELINE_NOT_FOUND" },
      { reason: "an unknown source", overrides: { sourceId: "src_nope" }, errorReason: "SOURCE_NOT_FOUND" },
    ])("refuses $reason (FAILED_PRECONDITION)", async ({ reason, overrides, errorReason }) => {
      const details = await expectGrpcError(env.k3.ingest.createRule({ rule: rule(`ref-${reason}`, overrides) }), GrpcStatus.FAILED_PRECONDITION);
      expect(details.errorInfo?.reason).toBe(errorReason);
    });

    it("returns the first rule for a repeated request_id and refuses a taken name", async () => {
      const first = await env.k3.ingest.createRule({ requestId: "rule-req-1", rule: rule("idem-rule") });
      const again = await env.k3.ingest.createRule({ requestId: "rule-req-1", rule: rule("idem-rule") });
      expect(again.rule?.id).toBe(first.rule?.id);
      await expectGrpcError(env.k3.ingest.createRule({ rule: rule("idem-rule") }), GrpcStatus.ALREADY_EXISTS);
    });
  });

  describe("binding after the pipeline is deleted", () => {
    it("is unset while the rule lives on and keeps its pipeline_id", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("short-lived") });
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("orphan-to-be", { pipelineId: pipeline!.id }) });
      expect(created?.binding?.pipelineName).toBe("short-lived");
      await env.k3.pipeline.deletePipeline({ id: pipeline!.id });
      const { rule: after } = await env.k3.ingest.getRule({ id: created!.id });
      expect(after?.binding).toBeUndefined();
      expect(after?.pipelineId).toBe(pipeline!.id);
      const listed = (await env.k3.ingest.listRules({ pipelineId: pipeline!.id })).rules;
      expect(listed.map((r) => [r.id, r.binding])).toEqual([[created!.id, undefined]]);
      const renamed = await env.k3.ingest.updateRule({ rule: { id: created!.id, displayName: "orphan" }, updateMask: ["display_name"] });
      expect(renamed.rule?.displayName).toBe("orphan");
    });

    it("follows a renamed pipeline at read time", async () => {
      const { pipeline } = await env.k3.pipeline.createPipeline({ pipeline: pipelineInput("old-name") });
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("follows", { pipelineId: pipeline!.id }) });
      await env.k3.pipeline.updatePipeline({ pipeline: { id: pipeline!.id, displayName: "new-name" }, updateMask: ["display_name"] });
      expect((await env.k3.ingest.getRule({ id: created!.id })).rule?.binding?.pipelineName).toBe("new-name");
    });
  });

  describe("GetRule / ListRules", () => {
    it("GetRule answers NOT_FOUND for an unknown id", async () => {
      const details = await expectGrpcError(env.k3.ingest.getRule({ id: "rule_nope" }), GrpcStatus.NOT_FOUND);
      expect(details.errorInfo?.reason).toBe("RULE_NOT_FOUND");
    });

    it("ListRules filters by source, pipeline and labels, and pages", async () => {
      const k3 = env.client("rule-list");
      const src = (await k3.source.createSource({ source: s3SourceInput("s") })).source!.id;
      const other = (await k3.source.createSource({ source: s3SourceInput("o", { s3: { bucket: "other" } }) })).source!.id;
      const pl = (await k3.pipeline.createPipeline({ pipeline: pipelineInput("p") })).pipeline!.id;
      for (let i = 0; i < 7; i++) {
        await k3.ingest.createRule({ rule: { displayName: `r-${i}`, sourceId: i < 5 ? src : other, pipelineId: pl, trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL }, labels: { n: String(i % 2) } } });
      }
      expect((await k3.ingest.listRules({ sourceId: src })).rules).toHaveLength(5);
      expect((await k3.ingest.listRules({ sourceId: other, labelFilter: { n: "0" } })).rules.map((r) => r.displayName)).toEqual(["r-6"]);
      const first = await k3.ingest.listRules({ pipelineId: pl, pageSize: 3 });
      const second = await k3.ingest.listRules({ pipelineId: pl, pageSize: 3, pageToken: first.nextPageToken });
      const third = await k3.ingest.listRules({ pipelineId: pl, pageSize: 3, pageToken: second.nextPageToken });
      expect([...first.rules, ...second.rules, ...third.rules].map((r) => r.displayName)).toEqual(Array.from({ length: 7 }, (_, i) => `r-${i}`));
      await expectGrpcError(k3.ingest.listRules({ pageSize: 3, pageToken: first.nextPageToken, sourceId: src }), GrpcStatus.INVALID_ARGUMENT);
    });
  });

  describe("UpdateRule", () => {
    it("changes only masked fields (disabling needs the explicit `enabled` path)", async () => {
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("upd-rule", { labels: { a: "1" } }) });
      const implied = await env.k3.ingest.updateRule({ rule: { id: created!.id, enabled: false, labels: { a: "2" } } });
      expect(implied.rule).toMatchObject({ enabled: true, labels: { a: "2" } });
      const { rule: updated } = await env.k3.ingest.updateRule({
        rule: { id: created!.id, enabled: false, displayName: "ignored", trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } },
        updateMask: ["enabled", "trigger"],
      });
      expect(updated).toMatchObject({ enabled: false, displayName: "upd-rule", trigger: { type: TriggerType.TRIGGER_TYPE_MANUAL } });
    });

    it("refuses an unknown mask path, an output-only path, a bad schedule and an unknown pipeline", async () => {
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("upd-bad") });
      const unknown = await expectGrpcError(env.k3.ingest.updateRule({ rule: { id: created!.id }, updateMask: ["schedule"] }), GrpcStatus.INVALID_ARGUMENT);
      expect(unknown.fieldViolations[0]).toMatchObject({ field: "update_mask", reason: "UNKNOWN_FIELD_PATH" });
      const outputOnly = await expectGrpcError(env.k3.ingest.updateRule({ rule: { id: created!.id }, updateMask: ["binding"] }), GrpcStatus.INVALID_ARGUMENT);
      expect(outputOnly.fieldViolations[0]?.reason).toBe("IMMUTABLE_FIELD");
      const schedule = await expectGrpcError(
        env.k3.ingest.updateRule({ rule: { id: created!.id, trigger: { type: TriggerType.TRIGGER_TYPE_SCHEDULE, schedule: "daily" } }, updateMask: ["trigger"] }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(violatedFields(schedule)).toEqual(["rule.trigger.schedule"]);
      const pipeline = await expectGrpcError(env.k3.ingest.updateRule({ rule: { id: created!.id, pipelineId: "pl_nope" }, updateMask: ["pipeline_id"] }), GrpcStatus.FAILED_PRECONDITION);
      expect(pipeline.errorInfo?.reason).toBe("PIPELINE_NOT_FOUND");
      await expectGrpcError(env.k3.ingest.updateRule({ rule: { id: "rule_nope", displayName: "x" } }), GrpcStatus.NOT_FOUND);
    });
  });

  describe("DeleteRule", () => {
    it("deletes; the rule is then NOT_FOUND", async () => {
      const { rule: created } = await env.k3.ingest.createRule({ rule: rule("del-rule") });
      expect(await env.k3.ingest.deleteRule({ id: created!.id })).toEqual({});
      await expectGrpcError(env.k3.ingest.getRule({ id: created!.id }), GrpcStatus.NOT_FOUND);
      await expectGrpcError(env.k3.ingest.deleteRule({ id: created!.id }), GrpcStatus.NOT_FOUND);
    });
  });
});
