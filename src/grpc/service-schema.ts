// The K3 services as this build knows them (proto/, compiled into gen/descriptor-set.ts) and
// how they differ from what an endpoint says it serves. The field numbers of proto/ are ours
// until the service publishes its own protos: a field the service numbers differently would be
// read as another field, silently. Comparing the compiled descriptors with the endpoint's
// reflection turns that into a clear report at start.
import { fromBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
  type ServiceDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { DESCRIPTOR_SET_BASE64 } from "./gen/descriptor-set.js";
import { fetchReflectedFiles, type ReflectionTarget } from "./reflection-client.js";

/** Fully qualified names of the three K3 services. */
export const K3_SERVICE_NAMES = [
  "dodil.k3.source.v1.SourceService",
  "dodil.k3.pipeline.v1.PipelineService",
  "dodil.k3.ingest.v1.IngestService",
] as const;

/** The files of proto/ and every file they import, as compiled into this build. */
export function compiledFiles(): FileDescriptorProto[] {
  return fromBinary(FileDescriptorSetSchema, Buffer.from(DESCRIPTOR_SET_BASE64, "base64")).file;
}

/** Every message, enum and service of a set of files, by fully qualified name (no leading dot). */
interface SymbolIndex {
  messages: Map<string, DescriptorProto>;
  enums: Map<string, EnumDescriptorProto>;
  services: Map<string, ServiceDescriptorProto>;
}

function indexFiles(files: readonly FileDescriptorProto[]): SymbolIndex {
  const index: SymbolIndex = { messages: new Map(), enums: new Map(), services: new Map() };
  const qualify = (scope: string, name: string): string => (scope === "" ? name : `${scope}.${name}`);
  const addMessages = (scope: string, messages: readonly DescriptorProto[]): void => {
    for (const message of messages) {
      const name = qualify(scope, message.name);
      index.messages.set(name, message);
      for (const e of message.enumType) index.enums.set(qualify(name, e.name), e);
      addMessages(name, message.nestedType);
    }
  };
  for (const file of files) {
    addMessages(file.package, file.messageType);
    for (const e of file.enumType) index.enums.set(qualify(file.package, e.name), e);
    for (const service of file.service) index.services.set(qualify(file.package, service.name), service);
  }
  return index;
}

/** ".pkg.Msg" (descriptor references) → "pkg.Msg". */
function symbolName(typeName: string): string {
  return typeName.startsWith(".") ? typeName.slice(1) : typeName;
}

function describeType(field: FieldDescriptorProto): string {
  const repeated = field.label === FieldDescriptorProto_Label.REPEATED ? "repeated " : "";
  const kind = field.typeName !== "" ? symbolName(field.typeName) : (FieldDescriptorProto_Type[field.type] ?? String(field.type)).toLowerCase();
  return `${repeated}${kind}`;
}

/**
 * The differences between this build's services and an endpoint's, as one line each
 * ("dodil.k3.source.v1.Source.display_name: number 3 here, 4 at the endpoint"). Only what would
 * make the two sides misread each other counts: a service, method, message, field or enum value
 * this build uses that the endpoint lacks, names a different way, or types differently. What
 * the endpoint has beyond that (newer fields, methods) is compatible and not reported.
 */
export function compareServices(local: readonly FileDescriptorProto[], remote: readonly FileDescriptorProto[], services: readonly string[]): string[] {
  const sides: Sides = { ours: indexFiles(local), theirs: indexFiles(remote) };
  const differences: string[] = [];
  // Messages are compared once each, breadth first from the methods' requests and responses.
  const queue: string[] = [];
  const queued = new Set<string>();
  const visit = (typeName: string): void => {
    const name = symbolName(typeName);
    if (queued.has(name)) return;
    queued.add(name);
    queue.push(name);
  };
  for (const service of services) differences.push(...compareService(service, sides, visit));
  const comparedEnums = new Set<string>();
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    differences.push(...compareMessage(next, sides, visit, (typeName) => {
      const name = symbolName(typeName);
      if (comparedEnums.has(name)) return [];
      comparedEnums.add(name);
      return compareEnum(name, sides);
    }));
  }
  return differences;
}

/** The two sides of a comparison: this build's symbols and the endpoint's. */
interface Sides {
  ours: SymbolIndex;
  theirs: SymbolIndex;
}

function compareService(name: string, { ours, theirs }: Sides, visit: (typeName: string) => void): string[] {
  const mine = ours.services.get(name);
  if (mine === undefined) throw new Error(`${name} is not among the compiled services`);
  const other = theirs.services.get(name);
  if (other === undefined) return [`${name}: not served by the endpoint`];
  const differences: string[] = [];
  for (const method of mine.method) {
    const where = `${name}/${method.name}`;
    const match = other.method.find((m) => m.name === method.name);
    if (match === undefined) {
      differences.push(`${where}: not served by the endpoint`);
      continue;
    }
    for (const [what, here, there] of [
      ["request", method.inputType, match.inputType],
      ["response", method.outputType, match.outputType],
    ] as const) {
      if (symbolName(here) !== symbolName(there)) differences.push(`${where}: ${what} ${symbolName(here)} here, ${symbolName(there)} at the endpoint`);
    }
    if (method.clientStreaming !== match.clientStreaming || method.serverStreaming !== match.serverStreaming) {
      differences.push(`${where}: streaming differs from the endpoint's`);
    }
    visit(method.inputType);
    visit(method.outputType);
  }
  return differences;
}

function compareMessage(name: string, { ours, theirs }: Sides, visit: (typeName: string) => void, enumDifferences: (typeName: string) => string[]): string[] {
  const mine = ours.messages.get(name);
  if (mine === undefined) return [];
  const other = theirs.messages.get(name);
  if (other === undefined) return [`${name}: no such message at the endpoint`];
  const differences: string[] = [];
  for (const field of mine.field) {
    const where = `${name}.${field.name}`;
    const byNumber = other.field.find((f) => f.number === field.number);
    if (byNumber === undefined || byNumber.name !== field.name) {
      const byName = other.field.find((f) => f.name === field.name);
      if (byName !== undefined) differences.push(`${where}: number ${field.number} here, ${byName.number} at the endpoint`);
      else if (byNumber !== undefined) differences.push(`${where}: number ${field.number} is "${byNumber.name}" at the endpoint`);
      else differences.push(`${where} (${field.number}): no such field at the endpoint`);
      continue;
    }
    if (describeType(field) !== describeType(byNumber)) {
      differences.push(`${where}: ${describeType(field)} here, ${describeType(byNumber)} at the endpoint`);
      continue;
    }
    if (field.type === FieldDescriptorProto_Type.MESSAGE) visit(field.typeName);
    if (field.type === FieldDescriptorProto_Type.ENUM) differences.push(...enumDifferences(field.typeName));
  }
  return differences;
}

function compareEnum(name: string, { ours, theirs }: Sides): string[] {
  const mine = ours.enums.get(name);
  const other = theirs.enums.get(name);
  if (mine === undefined) return [];
  if (other === undefined) return [`${name}: no such enum at the endpoint`];
  const differences: string[] = [];
  for (const value of mine.value) {
    const match = other.value.find((v) => v.number === value.number);
    if (match === undefined) differences.push(`${name}.${value.name} (${value.number}): no such value at the endpoint`);
    else if (match.name !== value.name) differences.push(`${name}: value ${value.number} is ${value.name} here, ${match.name} at the endpoint`);
  }
  return differences;
}

/**
 * Compares the K3 services of this build with those an endpoint's reflection describes: the
 * differences (empty when none), or undefined when the endpoint offers no reflection.
 */
export async function checkServiceSchema(target: ReflectionTarget): Promise<string[] | undefined> {
  const remote = await fetchReflectedFiles(target, K3_SERVICE_NAMES);
  return remote === undefined ? undefined : compareServices(compiledFiles(), remote, K3_SERVICE_NAMES);
}
