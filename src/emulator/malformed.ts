// Malformed answers, for tests of how a client copes with a service that answers wrongly
// (issue 9's fuzzing): an OK answer with an empty body, unknown enum values, a list filter
// ignored, an oversized error message. Enum fields are found through the descriptor set that
// reflection serves, so every enum of every answer is covered without a list kept by hand.
import { type DescriptorProto, FieldDescriptorProto_Label, FieldDescriptorProto_Type } from "@bufbuild/protobuf/wkt";
import { compiledFiles } from "../grpc/service-schema.js";

/** The ways an answer can be malformed; see src/emulator/README.md. */
export type MalformedKind = "empty-body" | "unknown-enum" | "ignore-filter" | "huge-error";

/** Every {@link MalformedKind}. */
export const MALFORMED_KINDS: readonly MalformedKind[] = ["empty-body", "unknown-enum", "ignore-filter", "huge-error"];

/** The number written into every enum field by "unknown-enum": no K3 enum has it. */
export const UNKNOWN_ENUM_VALUE = 999;

/** Size of the message of a "huge-error" answer (40 KiB). */
export const HUGE_ERROR_BYTES = 40 * 1024;

/** An answer sent as these exact bytes instead of an encoded message (the empty body). */
export class RawAnswer {
  constructor(readonly bytes: Buffer) {}
}

interface Schema {
  messages: Map<string, DescriptorProto>;
  /** RPC proto name → fully qualified output message name. */
  outputs: Map<string, string>;
}

let schemaMemo: Schema | undefined;

function schema(): Schema {
  if (schemaMemo !== undefined) return schemaMemo;
  const files = compiledFiles();
  const messages = new Map<string, DescriptorProto>();
  const outputs = new Map<string, string>();
  const addMessages = (scope: string, list: readonly DescriptorProto[]): void => {
    for (const message of list) {
      messages.set(`${scope}.${message.name}`, message);
      addMessages(`${scope}.${message.name}`, message.nestedType);
    }
  };
  for (const file of files) {
    addMessages(`.${file.package}`, file.messageType);
    for (const service of file.service) for (const method of service.method) outputs.set(method.name, method.outputType);
  }
  schemaMemo = { messages, outputs };
  return schemaMemo;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value);

function replaceEnums(value: Json, typeName: string, found: { count: number }): void {
  const message = schema().messages.get(typeName);
  if (message === undefined || typeName.startsWith(".google.")) return;
  for (const field of message.field) {
    const key = field.jsonName;
    const current = value[key];
    if (current === undefined) continue;
    const repeated = field.label === FieldDescriptorProto_Label.REPEATED;
    if (field.type === FieldDescriptorProto_Type.ENUM) {
      value[key] = repeated && Array.isArray(current) ? current.map(() => UNKNOWN_ENUM_VALUE) : UNKNOWN_ENUM_VALUE;
      found.count += 1;
    } else if (field.type === FieldDescriptorProto_Type.MESSAGE) {
      const items = repeated && Array.isArray(current) ? current : [current];
      for (const item of items) if (isObject(item)) replaceEnums(item, field.typeName, found);
    }
  }
}

/**
 * Sets every enum field of the answer of `rpc` (nested messages and lists included) to
 * {@link UNKNOWN_ENUM_VALUE}; returns how many fields it changed.
 */
export function withUnknownEnums(rpc: string, response: unknown): number {
  const output = schema().outputs.get(rpc);
  const found = { count: 0 };
  if (output !== undefined && isObject(response)) replaceEnums(response, output, found);
  return found.count;
}

/** A copy of a List request with every field but the page size and token at its default. */
export function withoutFilter(request: unknown): unknown {
  if (!isObject(request)) return request;
  const copy: Json = {};
  for (const [key, value] of Object.entries(request)) {
    if (key === "pageSize" || key === "pageToken") copy[key] = value;
    else if (typeof value === "string") copy[key] = "";
    else if (typeof value === "number") copy[key] = 0;
    else if (typeof value === "boolean") copy[key] = false;
    else if (Array.isArray(value)) copy[key] = [];
    else if (isObject(value)) copy[key] = {};
    else copy[key] = value;
  }
  return copy;
}

/** The filler of a "huge-error" message: readable, so a truncation is easy to see. */
export function hugeErrorMessage(rpc: string): string {
  const head = `injected fault: oversized error message (${rpc}) `;
  return head + "lorem ipsum dolor sit amet ".repeat(Math.ceil(HUGE_ERROR_BYTES / 27)).slice(0, HUGE_ERROR_BYTES - head.length);
}
