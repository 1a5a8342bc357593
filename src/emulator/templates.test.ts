import { describe, expect, it } from "vitest";
import { Violations } from "./errors.js";
import { checkParameters, findTemplate, listTemplates } from "./templates.js";

function problems(name: string, version: string, parameters: Record<string, unknown>): string[] {
  const template = findTemplate({ name });
  const spec = template!.versions.find((v) => v.version === version)!;
  const violations = new Violations();
  checkParameters({ version: spec, parameters, fieldPrefix: "p", violations });
  try {
    violations.throwIfAny();
    return [];
  } catch (error) {
    return (error as { violations: { field: string; reason: string }[] }).violations.map((v) => `${v.field}:${v.reason}`);
  }
}

describe("template catalog", () => {
  it("finds templates by id or name and hands out copies", () => {
    expect(findTemplate({ id: "tpl_pdf_to_markdown" })?.name).toBe("pdf-to-markdown");
    expect(findTemplate({ name: "nope" })).toBeUndefined();
    listTemplates()[0]!.name = "changed";
    expect(listTemplates()[0]!.name).toBe("document-chunker");
  });

  it.each([
    { reason: "valid on 1.0.0", name: "document-chunker", version: "1.0.0", params: { chunkSize: 100, overlap: 0, splitter: "sentence" }, expected: [] },
    { reason: "null counts as unset", name: "document-chunker", version: "1.0.0", params: { chunkSize: 100, overlap: null }, expected: [] },
    { reason: "required given null", name: "document-chunker", version: "1.0.0", params: { chunkSize: null }, expected: ["p.chunkSize:REQUIRED"] },
    { reason: "1.1.0 accepts minChunkSize", name: "document-chunker", version: "1.1.0", params: { chunkSize: 1, minChunkSize: 2 }, expected: [] },
    { reason: "1.0.0 does not", name: "document-chunker", version: "1.0.0", params: { chunkSize: 1, minChunkSize: 2 }, expected: ["p.minChunkSize:UNKNOWN_PARAMETER"] },
    { reason: "an array is not a string", name: "image-captioner", version: "1.0.0", params: { model: ["m"] }, expected: ["p.model:WRONG_TYPE"] },
    { reason: "a number is not a boolean", name: "pdf-to-markdown", version: "1.1.0", params: { ocr: 1 }, expected: ["p.ocr:WRONG_TYPE"] },
  ])("checkParameters: $reason", ({ name, version, params, expected }) => {
    expect(problems(name, version, params)).toEqual(expected);
  });
});
