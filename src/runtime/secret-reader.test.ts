import { describe, expect, it } from "vitest";
import { newCachedSecretReader } from "./secret-reader.js";

describe("newCachedSecretReader", () => {
  it("reads from the cache by namespace/name, decoded, without an apiserver call", async () => {
    const cached = new Map([["ns/conn", { metadata: { namespace: "ns", name: "conn", resourceVersion: "3" }, data: { token: Buffer.from("jwt").toString("base64") } }]]);
    const reader = newCachedSecretReader({ get: (key) => cached.get(key) });
    expect(await reader.get("ns", "conn")).toEqual({ data: { token: "jwt" }, resourceVersion: "3", type: "Opaque" });
    expect(await reader.get("ns", "other")).toBeUndefined();
  });
});
