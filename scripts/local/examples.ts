// Which of examples/ `npm run local` applies: the documents of kinds the operator already
// reconciles, all into one namespace.
import { readdir, readFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { parseAllDocuments } from "yaml";

/**
 * Kinds whose examples are applied: those with a controller in src/controllers/index.ts, and
 * the Secrets their examples read credentials from.
 */
export const readyKinds: readonly string[] = ["Secret", "K3Source", "K3Pipeline", "K3IngestRule", "K3IngestJob"];

/** One YAML document of an example file. */
export interface ExampleDocument {
  /** Path relative to the examples folder, e.g. `complete/02-k3pipeline.yaml`. */
  file: string;
  kind: string;
  name: string;
  /** The document's text, comments included. */
  yaml: string;
  /**
   * The Ready=False reason the example documents on purpose (a rejected credential, a consent
   * to give), from a comment line `# expect: Ready=False <Reason>` in the document; absent
   * when it is expected to become Ready.
   */
  expectedReason?: string;
}

/** What {@link selectExamples} decided. */
export interface ExampleSelection {
  apply: ExampleDocument[];
  skip: ExampleDocument[];
}

/**
 * Reads every document of the `.yaml` files in `dir` and its subfolders: the folder's own
 * files first (the one-kind-per-file examples), each level in name order.
 */
export async function loadExamples(dir: string): Promise<ExampleDocument[]> {
  const depth = (file: string): number => file.split(sep).length;
  // Without the extension, so that k3pipeline.yaml comes before k3pipeline-image-captioner.yaml.
  const stem = (file: string): string => file.slice(0, -".yaml".length);
  const files = (await readdir(dir, { recursive: true }))
    .filter((file) => file.endsWith(".yaml"))
    .sort((a, b) => depth(a) - depth(b) || (stem(a) < stem(b) ? -1 : stem(a) > stem(b) ? 1 : 0));
  const documents: ExampleDocument[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), "utf8");
    documents.push(...parseExampleFile(file, text));
  }
  return documents;
}

/** Splits one example file into its documents; throws if one lacks a kind or a name. */
export function parseExampleFile(file: string, text: string): ExampleDocument[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`cannot parse ${file}`, { cause: doc.errors[0] });
    const object = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null | undefined;
    if (object === null || object === undefined) return []; // an empty document, as between two `---`
    const kind = object.kind;
    const name = object.metadata?.name;
    if (typeof kind !== "string" || typeof name !== "string") throw new Error(`a document of ${file} has no kind or metadata.name`);
    const yaml = doc.toString();
    const expectedReason = /^#\s*expect:\s*Ready=False\s+(\w+)\s*$/m.exec(yaml)?.[1];
    return [{ file, kind, name, yaml, ...(expectedReason ? { expectedReason } : {}) }];
  });
}

/**
 * Keeps the documents whose kind is in `kinds`, in their order. Throws when two kept ones
 * share kind and name: applied to one namespace, the second would silently replace the first.
 */
export function selectExamples(documents: readonly ExampleDocument[], kinds: readonly string[]): ExampleSelection {
  const apply = documents.filter((doc) => kinds.includes(doc.kind));
  const seen = new Map<string, string>();
  for (const doc of apply) {
    const key = `${doc.kind}/${doc.name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new Error(`${key} is defined twice in the examples (${earlier} and ${doc.file})`);
    seen.set(key, doc.file);
  }
  return { apply, skip: documents.filter((doc) => !kinds.includes(doc.kind)) };
}

/** True for the operator's own kinds (what `kubectl get k3` lists), false for the Secrets examples carry. */
export function isK3Kind(doc: { kind: string }): boolean {
  return doc.kind.startsWith("K3");
}

/** The documents as one multi-document YAML stream, for `kubectl apply -f -`. */
export function toYamlStream(documents: readonly ExampleDocument[]): string {
  return documents.map((doc) => doc.yaml.replace(/^---\n/, "")).join("---\n");
}
