import { describe, expect, it } from "vitest";
import { createRequestId } from "./request-id.js";

describe("createRequestId", () => {
  it("is a v5 UUID, stable for the same inputs", () => {
    const id = createRequestId("uid-1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(createRequestId("uid-1")).toBe(id);
  });

  it.each([
    { reason: "another object", a: createRequestId("uid-1"), b: createRequestId("uid-2") },
    { reason: "a re-create after drift", a: createRequestId("uid-1"), b: createRequestId("uid-1", "remote-7") },
  ])("differs for $reason", ({ a, b }) => {
    expect(a).not.toBe(b);
  });
});
