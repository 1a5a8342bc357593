import { describe, expect, it } from "vitest";
import { EmulatorError } from "./errors.js";
import { resolveUpdateMask } from "./field-mask.js";

const mutable = ["display_name", "labels", "enabled"];
const populated = (path: string): boolean => path === "labels";

describe("resolveUpdateMask", () => {
  it.each([
    { reason: "absent mask = populated fields", paths: undefined, expected: ["labels"] },
    { reason: "empty mask = populated fields", paths: [], expected: ["labels"] },
    { reason: "named paths only", paths: ["enabled"], expected: ["enabled"] },
    { reason: "* = every mutable field", paths: ["*"], expected: mutable },
  ])("$reason", ({ paths, expected }) => {
    expect([...resolveUpdateMask({ paths, mutable, populated })].sort()).toEqual([...expected].sort());
  });

  it("reports every bad path in one INVALID_ARGUMENT", () => {
    try {
      resolveUpdateMask({ paths: ["nope", "id", "labels"], mutable, immutable: { id: "output only" }, populated });
      expect.unreachable();
    } catch (error) {
      expect((error as EmulatorError).violations.map((v) => v.reason)).toEqual(["UNKNOWN_FIELD_PATH", "IMMUTABLE_FIELD"]);
    }
  });
});
