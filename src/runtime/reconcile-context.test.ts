import { describe, expect, it } from "vitest";
import { currentReconcile, runInReconcileContext } from "./reconcile-context.js";

describe("reconcile context", () => {
  it("is visible across awaits inside the run, and absent outside", async () => {
    expect(currentReconcile()).toBeUndefined();
    const seen = await runInReconcileContext({ controller: "c", key: "ns/a" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentReconcile();
    });
    expect(seen).toEqual({ controller: "c", key: "ns/a" });
    expect(currentReconcile()).toBeUndefined();
  });

  it("keeps concurrent reconciles apart", async () => {
    const run = (key: string, ms: number) =>
      runInReconcileContext({ controller: "c", key }, async () => {
        await new Promise((r) => setTimeout(r, ms));
        return currentReconcile()?.key;
      });
    expect(await Promise.all([run("ns/a", 5), run("ns/b", 1)])).toEqual(["ns/a", "ns/b"]);
  });
});
