import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadExamples, parseExampleFile, readyKinds, selectExamples, toYamlStream, type ExampleDocument } from "../../scripts/local/examples.js";

const doc = (kind: string, name: string, file = "x.yaml"): ExampleDocument => ({
  file,
  kind,
  name,
  yaml: `kind: ${kind}\nmetadata:\n  name: ${name}\n`,
});

describe("parseExampleFile", () => {
  it("splits a file into its documents, skipping empty ones and keeping comments", () => {
    const text = "# a secret\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\n---\nkind: K3Source\nmetadata:\n  name: src\n";
    const docs = parseExampleFile("f.yaml", text);
    expect(docs.map(({ kind, name }) => `${kind}/${name}`)).toEqual(["Secret/s", "K3Source/src"]);
    expect(docs[0]?.yaml).toContain("# a secret");
  });

  it.each([
    { reason: "no kind", text: "metadata:\n  name: a\n" },
    { reason: "no name", text: "kind: K3Pipeline\nmetadata: {}\n" },
    { reason: "broken YAML", text: "kind: [\n" },
  ])("rejects a document with $reason", ({ text }) => {
    expect(() => parseExampleFile("bad.yaml", text)).toThrow(/bad\.yaml/);
  });
});

describe("selectExamples", () => {
  it.each([
    {
      reason: "only the kinds asked for are applied, in their order",
      docs: [doc("Secret", "s"), doc("K3Pipeline", "b"), doc("K3Source", "src"), doc("K3Pipeline", "a")],
      kinds: ["K3Pipeline"],
      apply: ["K3Pipeline/b", "K3Pipeline/a"],
      skip: ["Secret/s", "K3Source/src"],
    },
    {
      reason: "the same name in two kinds is no clash",
      docs: [doc("K3Pipeline", "x"), doc("K3Source", "x")],
      kinds: ["K3Pipeline", "K3Source"],
      apply: ["K3Pipeline/x", "K3Source/x"],
      skip: [],
    },
    {
      reason: "a clash among skipped kinds does not matter",
      docs: [doc("K3Source", "x", "a.yaml"), doc("K3Source", "x", "b.yaml")],
      kinds: ["K3Pipeline"],
      apply: [],
      skip: ["K3Source/x", "K3Source/x"],
    },
  ])("$reason", ({ docs, kinds, apply, skip }) => {
    const selection = selectExamples(docs, kinds);
    expect(selection.apply.map((d) => `${d.kind}/${d.name}`)).toEqual(apply);
    expect(selection.skip.map((d) => `${d.kind}/${d.name}`)).toEqual(skip);
  });

  it("refuses two applied examples of the same kind and name, naming both files", () => {
    expect(() => selectExamples([doc("K3Pipeline", "p", "a.yaml"), doc("K3Pipeline", "p", "b.yaml")], ["K3Pipeline"])).toThrow(
      "K3Pipeline/p is defined twice in the examples (a.yaml and b.yaml)",
    );
  });
});

describe("toYamlStream", () => {
  it("joins documents into one stream that parses back to all of them", () => {
    const stream = toYamlStream([doc("K3Pipeline", "a"), { ...doc("K3Pipeline", "b"), yaml: "---\nkind: K3Pipeline\nmetadata:\n  name: b\n" }]);
    expect(parseExampleFile("stream", stream).map((d) => d.name)).toEqual(["a", "b"]);
  });
});

describe("the examples folder", () => {
  it("has examples of every kind for `npm run local`, top-level files first, none clashing, failures documented", async () => {
    const docs = await loadExamples(join(import.meta.dirname, "..", "..", "examples"));
    const { apply, skip } = selectExamples(docs, readyKinds);
    expect(skip).toEqual([]);
    expect(new Set(apply.map((d) => d.kind))).toEqual(new Set(["Secret", "K3Source", "K3Pipeline", "K3IngestRule", "K3IngestJob"]));
    expect(apply[0]?.file).not.toContain("/");
    expect(apply.filter((d) => d.expectedReason).map((d) => `${d.kind}/${d.name}: ${d.expectedReason}`).sort()).toEqual([
      "K3Source/legacy-archive: NotFound",
      "K3Source/legacy-bucket: CredentialInvalid",
      "K3Source/shared-drive: AwaitingOAuthCode",
    ]);
    expect(apply.every((d) => (parse(d.yaml) as { metadata: { namespace?: string } }).metadata.namespace === undefined)).toBe(true);
  });
});
