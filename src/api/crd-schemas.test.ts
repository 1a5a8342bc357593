// Static checks of crds/*.yaml that need no apiserver: every field teaches `kubectl explain`,
// printer columns point at real fields, the names match src/api/keys.ts, and the defaults
// are those DESIGN §1.2 promises.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { apiVersion, category, group, kinds, plurals, version } from "./keys.js";

interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string; messageExpression?: string }[];
}

interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns: { name: string; jsonPath: string }[];
      schema: { openAPIV3Schema: SchemaNode };
    }[];
  };
}

const crdDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../crds");
const crds = readdirSync(crdDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((file) => ({ file, crd: parse(readFileSync(path.join(crdDir, file), "utf8")) as Crd }));

function rootSchema(crd: Crd): SchemaNode {
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/** Yields every schema node with its path, e.g. ".spec.destinations[].config{}". */
function* walk(node: SchemaNode, at: string): Generator<[string, SchemaNode]> {
  yield [at, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${at}.${name}`);
  if (node.items !== undefined) yield* walk(node.items, `${at}[]`);
  if (typeof node.additionalProperties === "object") yield* walk(node.additionalProperties, `${at}{}`);
}

/** Resolves a printer-column JSONPath like .status.conditions[?(@.type=="Ready")].status. */
function resolve(root: SchemaNode, jsonPath: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const token of jsonPath.replace(/\[[^\]]*\]/g, ".[]").split(".").filter(Boolean)) {
    if (node === undefined) return undefined;
    node = token === "[]" ? node.items : node.properties?.[token];
  }
  return node;
}

function defaultAt(root: SchemaNode, dotted: string): unknown {
  return resolve(root, dotted)?.default;
}

describe("CRDs", () => {
  it("holds one file per kind, named <group>_<plural>.yaml", () => {
    expect(crds.map((c) => c.file)).toEqual(
      Object.values(plurals).map((p) => `${group}_${p}.yaml`).sort(),
    );
  });

  it.each(crds)("$file: names, scope, version and subresources match src/api/keys.ts", ({ crd }) => {
    const kind = crd.spec.names.kind as keyof typeof plurals;
    expect(Object.values(kinds)).toContain(kind);
    expect(crd.spec.group).toBe(group);
    expect(crd.metadata.name).toBe(`${plurals[kind]}.${group}`);
    expect(crd.spec.names.plural).toBe(plurals[kind]);
    expect(crd.spec.names.singular).toBe(kind.toLowerCase());
    expect(crd.spec.names.categories).toEqual([category]);
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.versions).toHaveLength(1);
    const v = crd.spec.versions[0]!;
    expect(`${crd.spec.group}/${v.name}`).toBe(apiVersion);
    expect([v.name, v.served, v.storage]).toEqual([version, true, true]);
    expect(v.subresources?.status).toEqual({});
  });

  it("gives every kind its own short name", () => {
    expect(crds.map((c) => c.crd.spec.names.shortNames)).toEqual([["k3job"], ["k3rule"], ["k3pl"], ["k3src"]]);
  });

  it.each(crds)("$file: every schema node has a description (kubectl explain teaches the API)", ({ crd }) => {
    // metadata is the one exception: the apiserver forbids describing it (ObjectMeta is implicit).
    const missing = [...walk(rootSchema(crd), "")]
      .filter(([at, node]) => at !== ".metadata" && (node.description ?? "").trim().length === 0)
      .map(([at]) => at || "<root>");
    expect(missing).toEqual([]);
  });

  it.each(crds)("$file: every validation rule carries a human message", ({ crd }) => {
    const bare = [...walk(rootSchema(crd), "")].flatMap(([at, node]) =>
      (node["x-kubernetes-validations"] ?? [])
        .filter((v) => v.message === undefined && v.messageExpression === undefined)
        .map((v) => `${at}: ${v.rule}`),
    );
    expect(bare).toEqual([]);
  });

  it.each(crds)("$file: printer columns point at fields of the schema", ({ crd }) => {
    const v = crd.spec.versions[0]!;
    const unresolved = v.additionalPrinterColumns
      .filter((c) => !c.jsonPath.startsWith(".metadata.") && resolve(rootSchema(crd), c.jsonPath) === undefined)
      .map((c) => `${c.name}: ${c.jsonPath}`);
    expect(unresolved).toEqual([]);
    expect(v.additionalPrinterColumns.at(-1)?.name).toBe("Age");
  });

  it.each([
    { kind: "K3Source", field: ".spec.deletionPolicy", value: "Delete", reason: "deleting the CR deletes remotely by default" },
    { kind: "K3Source", field: ".spec.managementPolicy", value: "Full", reason: "the operator manages by default" },
    { kind: "K3Source", field: ".spec.credential.validate", value: true, reason: "credentials are validated by default" },
    { kind: "K3Source", field: ".spec.sync.discoverOnCreate", value: true, reason: "a new source is discovered once" },
    { kind: "K3Source", field: ".spec.sync", value: {}, reason: "sync defaults apply even when sync is omitted" },
    { kind: "K3Pipeline", field: ".spec.deletionPolicy", value: "Delete", reason: "common managed default" },
    { kind: "K3Pipeline", field: ".spec.managementPolicy", value: "Full", reason: "common managed default" },
    { kind: "K3IngestRule", field: ".spec.enabled", value: true, reason: "a rule is active when created" },
    { kind: "K3IngestRule", field: ".spec.jobHistoryLimit", value: 10, reason: "DESIGN: default history of 10 jobs" },
    { kind: "K3IngestRule", field: ".spec.deletionPolicy", value: "Delete", reason: "common managed default" },
    { kind: "K3IngestRule", field: ".spec.managementPolicy", value: "Full", reason: "common managed default" },
  ])("$kind $field defaults to $value ($reason)", ({ kind, field, value }) => {
    const crd = crds.find((c) => c.crd.spec.names.kind === kind)!.crd;
    expect(defaultAt(rootSchema(crd), field)).toEqual(value);
  });
});
