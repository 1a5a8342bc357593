import { describe, expect, it } from "vitest";
import { type Source, SourceType } from "../grpc/gen/dodil/k3/source/v1/source.js";
import { deriveObjects, isCorruptKey, listingProblem } from "./objects.js";

function source(partial: Partial<Source>): Source {
  return {
    id: "src_x", displayName: "x", labels: {}, type: SourceType.SOURCE_TYPE_S3, internal: false, status: 0, statusMessage: "", credentialId: "",
    ...partial,
  };
}

const s3 = (bucket: string, prefix = ""): Source => source({ s3: { bucket, region: "eu-west-1", prefix, endpoint: "" } });

describe("deriveObjects", () => {
  it("is deterministic for one config and differs for another", () => {
    expect(deriveObjects(s3("a"))).toEqual(deriveObjects(s3("a")));
    expect(deriveObjects(s3("a")).map((o) => o.key)).not.toEqual(deriveObjects(s3("b")).map((o) => o.key));
  });

  it.each(Array.from({ length: 30 }, (_, i) => `bucket-${i}`))("gives %s 10..20 sorted unique mixed objects with exactly one corrupt PDF", (bucket) => {
    const objects = deriveObjects(s3(bucket));
    expect(objects.length).toBeGreaterThanOrEqual(10);
    expect(objects.length).toBeLessThanOrEqual(20);
    const keys = objects.map((o) => o.key);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
    const corrupt = objects.filter((o) => isCorruptKey(o.key));
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toMatchObject({ mimeType: "application/pdf" });
    expect(corrupt[0]?.key).toMatch(/^reports\/2026\/corrupt-scan-\d{3}\.pdf$/);
    expect(objects.every((o) => o.size > 0 && /^(application\/(pdf|json)|text\/markdown|image\/png)$/.test(o.mimeType))).toBe(true);
  });

  it("mixes the four kinds across configs", () => {
    const mimes = new Set(Array.from({ length: 5 }, (_, i) => deriveObjects(s3(`mix-${i}`))).flat().map((o) => o.mimeType));
    expect(mimes).toEqual(new Set(["application/pdf", "text/markdown", "image/png", "application/json"]));
  });

  it("puts keys under the configured prefix", () => {
    expect(deriveObjects(s3("p", "kb")).every((o) => o.key.startsWith("kb/"))).toBe(true);
    expect(deriveObjects(source({ type: SourceType.SOURCE_TYPE_GITHUB, github: { owner: "o", repo: "r", branch: "", path: "/docs/" } })).every((o) => o.key.startsWith("docs/"))).toBe(true);
  });

  it("gives an HTTP source one object named after the URL path", () => {
    const [only, ...rest] = deriveObjects(source({ type: SourceType.SOURCE_TYPE_HTTP, http: { url: "https://example.com/files/guide.pdf?x=1" } }));
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ key: "files/guide.pdf", mimeType: "application/pdf" });
    expect(deriveObjects(source({ type: SourceType.SOURCE_TYPE_HTTP, http: { url: "https://example.com/" } }))[0]?.key).toBe("index.html");
  });

  it("gives the internal source its fixed four objects", () => {
    const objects = deriveObjects(source({ type: SourceType.SOURCE_TYPE_INTERNAL_S3, internal: true, internalS3: { bucket: "k", prefix: "t/" } }));
    expect(objects.map((o) => o.key)).toEqual(["uploads/architecture.png", "uploads/catalog.json", "uploads/product-notes.md", "uploads/welcome.pdf"]);
  });
});

describe("listingProblem", () => {
  it.each([
    { reason: "a missing GitHub repo", src: source({ type: SourceType.SOURCE_TYPE_GITHUB, github: { owner: "acme", repo: "missing", branch: "", path: "" } }), expected: 'GitHub repository "acme/missing" not found or not accessible' },
    { reason: "an existing GitHub repo", src: source({ type: SourceType.SOURCE_TYPE_GITHUB, github: { owner: "acme", repo: "docs", branch: "", path: "" } }), expected: undefined },
    { reason: "an S3 bucket", src: s3("missing"), expected: undefined },
  ])("$reason", ({ src, expected }) => {
    expect(listingProblem(src)).toBe(expected);
  });
});
