// Small helpers shared by the service handlers.
import { invalidField } from "../errors.js";

/** Throws INVALID_ARGUMENT (REQUIRED) when an id field is empty. */
export function requireId(field: string, value: string): void {
  if (value === "") throw invalidField(field, "required", "REQUIRED");
}

/** A deep copy of a stored message, so answers never alias stored state. */
export function copy<T>(message: T): T {
  return structuredClone(message);
}

/** snake_case of a camelCase proto field name, as used in field violation paths. */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Whether a string is an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
