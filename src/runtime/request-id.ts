import { createHash } from "node:crypto";

// A fixed namespace so every operator replica derives the same ids (value is arbitrary, never change it).
const namespace = Buffer.from("6f1c2a9e4b7d4e0f8a3c5d2e1b0a9f87", "hex");

/**
 * A deterministic RFC 4122 version-5 UUID for a create: from the object's uid and, after drift,
 * the id of the lost remote object it replaces. Retries of one create share it; a re-create after
 * drift gets a new one (the service would otherwise answer with the deleted object).
 */
export function createRequestId(uid: string, replaces?: string): string {
  const hash = createHash("sha1").update(namespace).update(`${uid}/${replaces ?? ""}`).digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
