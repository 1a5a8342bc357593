// SourceService source RPCs: create (validation, idempotency, unique names), get, list
// (pagination, label filters, the internal source), update (update_mask) and delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceStatus, SourceType } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { expectGrpcError, GrpcStatus, s3SourceInput, startTestEnv, type TestEnv, violatedFields } from "./support.js";

describe("sources", () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv();
  });
  afterAll(async () => env.close());

  describe("the internal S3 source", () => {
    it("exists for a new tenant, listed, internal, INTERNAL_S3 and ACTIVE", async () => {
      const k3 = env.client("fresh-tenant");
      const { sources } = await k3.source.listSources({});
      expect(sources).toHaveLength(1);
      const [internal] = sources;
      expect(internal).toMatchObject({ internal: true, type: SourceType.SOURCE_TYPE_INTERNAL_S3, status: SourceStatus.SOURCE_STATUS_ACTIVE });
      expect(internal?.internalS3?.prefix).toBe("tenants/fresh-tenant/");
      const got = await k3.source.getSource({ id: internal!.id });
      expect(got.source).toEqual(internal);
    });

    it("cannot be updated or deleted (FAILED_PRECONDITION)", async () => {
      const k3 = env.client("internal-guard");
      const internal = (await k3.source.listSources({})).sources[0]!;
      const update = await expectGrpcError(
        k3.source.updateSource({ source: { id: internal.id, displayName: "renamed" }, updateMask: ["display_name"] }),
        GrpcStatus.FAILED_PRECONDITION,
      );
      expect(update.errorInfo?.reason).toBe("INTERNAL_SOURCE_READ_ONLY");
      const del = await expectGrpcError(k3.source.deleteSource({ id: internal.id }), GrpcStatus.FAILED_PRECONDITION);
      expect(del.errorInfo).toMatchObject({ reason: "INTERNAL_SOURCE_READ_ONLY", domain: "k3.dodil.io" });
      expect((await k3.source.getSource({ id: internal.id })).source?.displayName).toBe("internal-s3");
    });

    it("cannot be created by a client", async () => {
      const details = await expectGrpcError(
        env.k3.source.createSource({ source: { displayName: "fake-internal", type: SourceType.SOURCE_TYPE_INTERNAL_S3 } }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(violatedFields(details)).toContain("source.type");
    });
  });

  describe("CreateSource", () => {
    it("creates an ACTIVE source with server-assigned fields", async () => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("create-ok", { labels: { env: "dev" } }) });
      expect(source?.id).toMatch(/^src_[a-z0-9]+$/);
      expect(source).toMatchObject({ displayName: "create-ok", internal: false, status: SourceStatus.SOURCE_STATUS_ACTIVE, labels: { env: "dev" } });
      expect(source?.s3?.bucket).toBe("acme-docs");
      expect(source?.createTime).toBeInstanceOf(Date);
    });

    it("returns the first source for a repeated request_id, without a second object", async () => {
      const first = await env.k3.source.createSource({ requestId: "req-src-1", source: s3SourceInput("idem-src") });
      const second = await env.k3.source.createSource({ requestId: "req-src-1", source: s3SourceInput("idem-src") });
      expect(second.source?.id).toBe(first.source?.id);
      const named = (await env.k3.source.listSources({ pageSize: 1000 })).sources.filter((s) => s.displayName === "idem-src");
      expect(named).toHaveLength(1);
    });

    it("refuses a second source with the same display name (ALREADY_EXISTS)", async () => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("dup-src") });
      const details = await expectGrpcError(env.k3.source.createSource({ source: s3SourceInput("dup-src") }), GrpcStatus.ALREADY_EXISTS);
      expect(details.errorInfo).toMatchObject({ reason: "DISPLAY_NAME_IN_USE", metadata: { displayName: "dup-src", existingId: source!.id } });
    });

    it.each([
      { reason: "missing display name and type", source: { s3: { bucket: "b" } }, fields: ["source.display_name", "source.type"] },
      { reason: "config of another type", source: { displayName: "x1", type: SourceType.SOURCE_TYPE_S3, s3: { bucket: "b" }, gcs: { bucket: "g" } }, fields: ["source.gcs"] },
      { reason: "missing config", source: { displayName: "x2", type: SourceType.SOURCE_TYPE_GITHUB }, fields: ["source.github"] },
      { reason: "missing required config fields", source: { displayName: "x3", type: SourceType.SOURCE_TYPE_AZURE_BLOB, azureBlob: { prefix: "p" } }, fields: ["source.azure_blob.account", "source.azure_blob.container"] },
      { reason: "an HTTP URL that is not one", source: { displayName: "x4", type: SourceType.SOURCE_TYPE_HTTP, http: { url: "ftp://x" } }, fields: ["source.http.url"] },
    ])("refuses $reason with one field violation per problem", async ({ source, fields }) => {
      const details = await expectGrpcError(env.k3.source.createSource({ source }), GrpcStatus.INVALID_ARGUMENT);
      expect(violatedFields(details)).toEqual([...fields].sort());
      expect(details.errorInfo).toBeUndefined();
    });

    it("refuses an unknown credential (FAILED_PRECONDITION, CREDENTIAL_NOT_FOUND)", async () => {
      const details = await expectGrpcError(
        env.k3.source.createSource({ source: s3SourceInput("needs-cred", { credentialId: "cred_nope" }) }),
        GrpcStatus.FAILED_PRECONDITION,
      );
      expect(details.errorInfo?.reason).toBe("CREDENTIAL_NOT_FOUND");
    });
  });

  describe("GetSource", () => {
    it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for an empty one", async () => {
      const missing = await expectGrpcError(env.k3.source.getSource({ id: "src_nope" }), GrpcStatus.NOT_FOUND);
      expect(missing.errorInfo).toMatchObject({ reason: "SOURCE_NOT_FOUND", metadata: { id: "src_nope" } });
      const empty = await expectGrpcError(env.k3.source.getSource({ id: "" }), GrpcStatus.INVALID_ARGUMENT);
      expect(violatedFields(empty)).toEqual(["id"]);
    });
  });

  describe("ListSources", () => {
    it("pages through 25 sources plus the internal one, oldest first, without duplicates or omissions", async () => {
      const k3 = env.client("list-sources");
      const created: string[] = [];
      for (let i = 0; i < 25; i++) {
        created.push((await k3.source.createSource({ source: s3SourceInput(`page-${i}`, { labels: { batch: "p" } }) })).source!.id);
      }
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await k3.source.listSources({ pageSize: 10, pageToken: token });
        expect(page.sources.length).toBeLessThanOrEqual(10);
        seen.push(...page.sources.map((s) => s.id));
        token = page.nextPageToken;
        pages += 1;
      } while (token !== "");
      expect(pages).toBe(3);
      expect(seen).toHaveLength(26);
      expect(new Set(seen).size).toBe(26);
      expect(seen.slice(1)).toEqual(created);
    });

    it("filters on every label pair", async () => {
      const k3 = env.client("label-filter");
      await k3.source.createSource({ source: s3SourceInput("lf-a", { labels: { team: "a", env: "prod" } }) });
      await k3.source.createSource({ source: s3SourceInput("lf-b", { labels: { team: "a", env: "dev" } }) });
      await k3.source.createSource({ source: s3SourceInput("lf-c", { labels: { team: "b", env: "prod" } }) });
      const both = await k3.source.listSources({ labelFilter: { team: "a", env: "prod" } });
      expect(both.sources.map((s) => s.displayName)).toEqual(["lf-a"]);
      const team = await k3.source.listSources({ labelFilter: { team: "a" } });
      expect(team.sources.map((s) => s.displayName)).toEqual(["lf-a", "lf-b"]);
    });

    it("refuses a token replayed with another filter, a garbage token and a negative page size", async () => {
      const k3 = env.client("list-sources");
      const first = await k3.source.listSources({ pageSize: 5, labelFilter: { batch: "p" } });
      expect(first.nextPageToken).not.toBe("");
      const other = await expectGrpcError(k3.source.listSources({ pageSize: 5, pageToken: first.nextPageToken }), GrpcStatus.INVALID_ARGUMENT);
      expect(other.fieldViolations[0]).toMatchObject({ field: "page_token", reason: "PAGE_TOKEN_FILTER_MISMATCH" });
      const garbage = await expectGrpcError(k3.source.listSources({ pageToken: "not-a-token" }), GrpcStatus.INVALID_ARGUMENT);
      expect(garbage.fieldViolations[0]).toMatchObject({ field: "page_token", reason: "INVALID_PAGE_TOKEN" });
      const negative = await expectGrpcError(k3.source.listSources({ pageSize: -1 }), GrpcStatus.INVALID_ARGUMENT);
      expect(violatedFields(negative)).toEqual(["page_size"]);
    });

    it("treats page size 0 as 50 and caps sizes above 1000", async () => {
      const k3 = env.client("page-size");
      for (let i = 0; i < 55; i++) await k3.source.createSource({ source: s3SourceInput(`ps-${i}`) });
      expect((await k3.source.listSources({ pageSize: 0 })).sources).toHaveLength(50);
      const capped = await k3.source.listSources({ pageSize: 5000 });
      expect(capped.sources).toHaveLength(56);
      expect(capped.nextPageToken).toBe("");
    });
  });

  describe("UpdateSource", () => {
    it("changes only the masked fields", async () => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("mask-src", { labels: { a: "1" } }) });
      const { source: updated } = await env.k3.source.updateSource({
        source: { id: source!.id, displayName: "ignored-name", labels: { a: "2" }, s3: { bucket: "ignored" } },
        updateMask: ["labels"],
      });
      expect(updated).toMatchObject({ displayName: "mask-src", labels: { a: "2" } });
      expect(updated?.s3?.bucket).toBe("acme-docs");
      expect(updated!.updateTime!.getTime()).toBeGreaterThanOrEqual(source!.updateTime!.getTime());
      expect((await env.k3.source.getSource({ id: source!.id })).source?.labels).toEqual({ a: "2" });
    });

    it("with an empty mask changes every populated field (AIP-134)", async () => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("implied-mask", { labels: { keep: "me" } }) });
      const { source: updated } = await env.k3.source.updateSource({
        source: { id: source!.id, s3: { bucket: "new-bucket", prefix: "n/" } },
      });
      expect(updated?.s3).toMatchObject({ bucket: "new-bucket", prefix: "n/" });
      expect(updated?.labels).toEqual({ keep: "me" });
      expect(updated?.displayName).toBe("implied-mask");
    });

    it.each([
      { reason: "an unknown path", mask: ["colour"], description: /unknown field path "colour"/ },
      { reason: "the immutable type", mask: ["type"], description: /cannot be updated: immutable after create/ },
      { reason: "another type's config", mask: ["gcs"], description: /unknown field path "gcs"/ },
    ])("refuses $reason in update_mask", async ({ mask, description }) => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput(`bad-mask-${mask[0]!}`) });
      const details = await expectGrpcError(env.k3.source.updateSource({ source: { id: source!.id }, updateMask: mask }), GrpcStatus.INVALID_ARGUMENT);
      expect(details.fieldViolations[0]?.field).toBe("update_mask");
      expect(details.fieldViolations[0]?.description).toMatch(description);
    });

    it("answers NOT_FOUND for an unknown source and ALREADY_EXISTS for a taken name", async () => {
      await expectGrpcError(env.k3.source.updateSource({ source: { id: "src_nope", displayName: "x" } }), GrpcStatus.NOT_FOUND);
      await env.k3.source.createSource({ source: s3SourceInput("taken-name") });
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("to-rename") });
      await expectGrpcError(
        env.k3.source.updateSource({ source: { id: source!.id, displayName: "taken-name" }, updateMask: ["display_name"] }),
        GrpcStatus.ALREADY_EXISTS,
      );
    });
  });

  describe("DeleteSource", () => {
    it("deletes, after which the source is NOT_FOUND", async () => {
      const { source } = await env.k3.source.createSource({ source: s3SourceInput("to-delete") });
      expect(await env.k3.source.deleteSource({ id: source!.id })).toEqual({});
      await expectGrpcError(env.k3.source.getSource({ id: source!.id }), GrpcStatus.NOT_FOUND);
      await expectGrpcError(env.k3.source.deleteSource({ id: source!.id }), GrpcStatus.NOT_FOUND);
    });
  });
});
