// The seeded template catalog and the check of pipeline parameters against a version's
// parameter schema. Defaults are documented in the schema but not written into pipelines:
// a pipeline keeps exactly the parameters it was given.
import {
  ParameterType,
  type ParameterSpec,
  type Template,
  type TemplateVersion,
} from "../grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import type { Violations } from "./errors.js";

function param(name: string, type: ParameterType, description: string, options: { required?: boolean; default?: unknown } = {}): ParameterSpec {
  return { name, type, required: options.required ?? false, defaultValue: options.default ?? null, description };
}

const I = ParameterType.PARAMETER_TYPE_INTEGER;
const S = ParameterType.PARAMETER_TYPE_STRING;
const B = ParameterType.PARAMETER_TYPE_BOOLEAN;

function version(label: string, description: string, publishDay: string, parameters: ParameterSpec[]): TemplateVersion {
  return { version: label, description, parameters, publishTime: new Date(`${publishDay}T00:00:00Z`) };
}

const chunkerBase = (): ParameterSpec[] => [
  param("chunkSize", I, "Target chunk length in tokens.", { required: true }),
  param("overlap", I, "Tokens shared by consecutive chunks.", { default: 0 }),
  param("splitter", S, "Where chunks may break: paragraph, sentence or token.", { default: "paragraph" }),
];
const pdfBase = (): ParameterSpec[] => [
  param("ocr", B, "Run OCR on scanned pages.", { default: false }),
  param("language", S, "Document language, an ISO 639-1 code.", { default: "en" }),
];
const captionerBase = (): ParameterSpec[] => [
  param("model", S, "Captioning model name.", { required: true }),
  param("maxTokens", I, "Longest caption, in tokens.", { default: 256 }),
];

const CATALOG: readonly Template[] = [
  {
    id: "tpl_document_chunker", name: "document-chunker", description: "Splits documents into overlapping chunks for embedding.", latestVersion: "1.1.0",
    versions: [
      version("1.0.0", "First release.", "2026-01-15", chunkerBase()),
      version("1.1.0", "Adds minChunkSize to merge short trailing chunks.", "2026-03-02", [
        ...chunkerBase(),
        param("minChunkSize", I, "Chunks shorter than this are merged into the previous one."),
      ]),
    ],
  },
  {
    id: "tpl_pdf_to_markdown", name: "pdf-to-markdown", description: "Converts PDF documents to Markdown.", latestVersion: "1.1.0",
    versions: [
      version("1.0.0", "First release.", "2026-01-20", pdfBase()),
      version("1.1.0", "Faster OCR; same parameters.", "2026-03-10", pdfBase()),
    ],
  },
  {
    id: "tpl_image_captioner", name: "image-captioner", description: "Writes a text caption for every image.", latestVersion: "1.1.0",
    versions: [
      version("1.0.0", "First release.", "2026-02-01", captionerBase()),
      version("1.1.0", "Better captions for diagrams; same parameters.", "2026-03-20", captionerBase()),
    ],
  },
];

/** Every template of the catalog, in catalog order (a fresh copy). */
export function listTemplates(): Template[] {
  return structuredClone<Template[]>([...CATALOG]);
}

/** The catalog entry of a template by id or by name, shared and read-only; undefined when unknown. */
export function catalogTemplate(idOrName: { id?: string; name?: string }): Readonly<Template> | undefined {
  return CATALOG.find((t) => (idOrName.id !== undefined && idOrName.id !== "" ? t.id === idOrName.id : t.name === idOrName.name));
}

/** Finds a template by id or by name (a fresh copy); undefined when unknown. */
export function findTemplate(idOrName: { id?: string; name?: string }): Template | undefined {
  const found = catalogTemplate(idOrName);
  return found === undefined ? undefined : structuredClone<Template>(found);
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ParameterType.PARAMETER_TYPE_STRING]: "a string",
  [ParameterType.PARAMETER_TYPE_INTEGER]: "an integer",
  [ParameterType.PARAMETER_TYPE_NUMBER]: "a number",
  [ParameterType.PARAMETER_TYPE_BOOLEAN]: "a boolean",
  [ParameterType.PARAMETER_TYPE_OBJECT]: "an object",
  [ParameterType.PARAMETER_TYPE_ARRAY]: "an array",
};

function hasType(value: unknown, type: ParameterType): boolean {
  switch (type) {
    case ParameterType.PARAMETER_TYPE_STRING: return typeof value === "string";
    case ParameterType.PARAMETER_TYPE_INTEGER: return typeof value === "number" && Number.isInteger(value);
    case ParameterType.PARAMETER_TYPE_NUMBER: return typeof value === "number" && Number.isFinite(value);
    case ParameterType.PARAMETER_TYPE_BOOLEAN: return typeof value === "boolean";
    case ParameterType.PARAMETER_TYPE_OBJECT: return typeof value === "object" && value !== null && !Array.isArray(value);
    case ParameterType.PARAMETER_TYPE_ARRAY: return Array.isArray(value);
    default: return true;
  }
}

const describe = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "an array" : typeof value);

/**
 * Checks parameters against a version's schema, adding one violation per unknown, missing
 * required or mistyped parameter with field `<fieldPrefix>.<name>`. A null value counts as
 * unset.
 */
export function checkParameters(options: {
  version: TemplateVersion;
  parameters: Readonly<Record<string, unknown>>;
  fieldPrefix: string;
  violations: Violations;
}): void {
  const { version: spec, parameters, fieldPrefix, violations } = options;
  const known = new Map(spec.parameters.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(parameters)) {
    const p = known.get(name);
    if (p === undefined) {
      violations.add(`${fieldPrefix}.${name}`, `unknown parameter; version ${spec.version} accepts: ${[...known.keys()].join(", ")}`, "UNKNOWN_PARAMETER");
    } else if (value !== null && !hasType(value, p.type)) {
      violations.add(`${fieldPrefix}.${name}`, `must be ${TYPE_NAMES[p.type] ?? "valid"}, got ${describe(value)}`, "WRONG_TYPE");
    }
  }
  for (const p of spec.parameters) {
    const value = parameters[p.name];
    if (p.required && (value === undefined || value === null)) {
      violations.add(`${fieldPrefix}.${p.name}`, `required by version ${spec.version}`, "REQUIRED");
    }
  }
}
