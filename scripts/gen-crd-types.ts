// Generates src/api/gen/<kind>.ts from crds/*.yaml: one source of truth for the Kubernetes API.
// Every object (and string enum) of a CRD's schema gets a stable, path-derived title, so the
// output has named interfaces (K3SourceSpec, K3SourceCredential, ...) and is deterministic:
// CI regenerates and fails on any diff (scripts/check-generated.sh).
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import { parse } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const crdDir = path.join(root, "crds");
const outDir = path.join(root, "src", "api", "gen");

/** The slice of a CRD's OpenAPI v3 schema node this generator reads. */
interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  enum?: unknown[];
  required?: string[];
  default?: unknown;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  [key: string]: unknown;
}

/** The slice of a CustomResourceDefinition this generator reads. */
interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; storage: boolean; schema: { openAPIV3Schema: SchemaNode } }[];
  };
}

function pascal(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Names the element type of a list property: destinations → Destination, recent → RecentItem. */
function itemName(prop: string): string {
  return prop.endsWith("s") ? pascal(prop.slice(0, -1)) : `${pascal(prop)}Item`;
}

/** How a schema node's generated type and the types of its children are named. */
interface Naming {
  /** Title of the node's own type, e.g. K3SourceSpec. */
  name: string;
  /** Prefix of its children's titles, e.g. K3Source for spec children (K3SourceCredential). */
  childPrefix: string;
}

/** Annotates one schema node for json-schema-to-typescript, titling every object and enum. */
function toJsonSchema(node: SchemaNode, naming: Naming): JSONSchema {
  const { name, childPrefix } = naming;
  const out: JSONSchema = {};
  if (node.description !== undefined) out.description = node.description;
  if (node.default !== undefined) {
    out.description = `${out.description ?? ""}\n\n@default ${JSON.stringify(node.default)}`.trim();
  }
  if (node.type === "integer") out.type = "number";
  else if (node.type !== undefined) out.type = node.type as JSONSchema["type"];
  if (node.enum !== undefined) {
    out.enum = node.enum as JSONSchema["enum"];
    out.title = name;
  }
  if (node.type === "object") {
    const props = node.properties ?? {};
    const names = Object.keys(props);
    if (names.length > 0) {
      out.title = name;
      out.properties = Object.fromEntries(names.map((prop) => [prop, toProperty(prop, props[prop]!, childPrefix)]));
      if (node.required !== undefined) out.required = [...node.required];
    }
    if (typeof node.additionalProperties === "object") {
      const valueName = `${name}Value`;
      out.additionalProperties = toJsonSchema(node.additionalProperties, { name: valueName, childPrefix: valueName });
    } else if (node["x-kubernetes-preserve-unknown-fields"] === true || names.length === 0) {
      // Free-form objects (template parameters): any JSON value may appear under any key.
      out.additionalProperties = true;
    } else {
      // The apiserver prunes unknown fields, so a typed object has exactly its properties.
      out.additionalProperties = false;
    }
  }
  return out;
}

/** Converts property `prop` of an object whose children are titled with `prefix`. */
function toProperty(prop: string, node: SchemaNode, prefix: string): JSONSchema {
  const name = `${prefix}${pascal(prop)}`;
  const out = toJsonSchema(node, { name, childPrefix: name });
  if (node.type === "array" && node.items !== undefined) {
    const item = `${prefix}${itemName(prop)}`;
    out.items = toJsonSchema(node.items, { name: item, childPrefix: item });
  }
  return out;
}

/** Builds the JSON schema of the full object type (apiVersion, kind, metadata, spec, status). */
function objectSchema(crd: Crd): JSONSchema {
  const kind = crd.spec.names.kind;
  const version = crd.spec.versions.find((v) => v.storage);
  if (version === undefined) throw new Error(`CRD of ${kind} has no storage version`);
  const schema = version.schema.openAPIV3Schema;
  const props = schema.properties ?? {};
  const out = toJsonSchema({ ...schema, properties: {} }, { name: kind, childPrefix: kind });
  out.title = kind;
  out.additionalProperties = false;
  out.required = ["apiVersion", "kind", "metadata", ...(schema.required ?? [])];
  out.properties = {
    apiVersion: {
      description: props.apiVersion?.description,
      type: "string",
      enum: [`${crd.spec.group}/${version.name}`],
    },
    kind: { description: props.kind?.description, type: "string", enum: [kind] },
    metadata: { description: "Standard object metadata (name, namespace, labels, annotations, ...).", tsType: "ObjectMeta" },
  };
  // Spec children are named after the kind alone (K3SourceCredential); status children keep
  // the Status infix (K3SourceStatusCredential) so the two never collide.
  if (props.spec !== undefined) {
    out.properties.spec = toJsonSchema(props.spec, { name: `${kind}Spec`, childPrefix: kind });
  }
  if (props.status !== undefined) {
    out.properties.status = toJsonSchema(props.status, { name: `${kind}Status`, childPrefix: `${kind}Status` });
  }
  return out;
}

async function main(): Promise<void> {
  const files = (await readdir(crdDir)).filter((f) => f.endsWith(".yaml")).sort();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const modules: string[] = [];
  for (const file of files) {
    const crd = parse(await readFile(path.join(crdDir, file), "utf8")) as Crd;
    const kind = crd.spec.names.kind;
    const module = kind.toLowerCase();
    const banner = [
      `/* generated by scripts/gen-crd-types.ts from crds/${file}; do not edit */`,
      `import type { ObjectMeta } from "../object-meta.js";`,
    ].join("\n");
    const ts = await compile(objectSchema(crd), kind, {
      bannerComment: banner,
      additionalProperties: false,
      ignoreMinAndMaxItems: true,
      strictIndexSignatures: true,
      unknownAny: true,
      declareExternallyReferenced: true,
      format: true,
    });
    await writeFile(path.join(outDir, `${module}.ts`), ts);
    modules.push(module);
  }
  const index = [
    "/* generated by scripts/gen-crd-types.ts from crds/*.yaml; do not edit */",
    ...modules.map((m) => `export type * from "./${m}.js";`),
    "",
  ].join("\n");
  await writeFile(path.join(outDir, "index.ts"), index);
  console.log(`generated ${modules.length} kinds into ${path.relative(root, outDir)}`);
}

main().catch((err: unknown) => {
  console.error(new Error("cannot generate CRD types", { cause: err }));
  process.exitCode = 1;
});
