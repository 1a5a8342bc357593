import { describe, expect, it } from "vitest";
import type { KubeClient } from "./kube-client.js";
import { KubeApiError } from "./kube-errors.js";
import { newSecretReader } from "./secret-reader.js";

function kubeWith(get: KubeClient["get"]): KubeClient {
  const no = (): never => {
    throw new Error("unused");
  };
  return { get, list: no, watch: no, create: no, patch: no, delete: no };
}

describe("newSecretReader", () => {
  it("decodes base64 values and returns the resourceVersion", async () => {
    const reader = newSecretReader(
      kubeWith(<T>() => Promise.resolve({ metadata: { resourceVersion: "9" }, data: { token: Buffer.from("jwt").toString("base64") } } as T)),
    );
    expect(await reader.get("ns", "conn")).toEqual({ data: { token: "jwt" }, resourceVersion: "9" });
  });

  it.each([
    { reason: "missing secret is undefined", err: new KubeApiError(404, { reason: "NotFound" }, "get"), want: undefined },
  ])("$reason", async ({ err, want }) => {
    const reader = newSecretReader(kubeWith(() => Promise.reject(err)));
    expect(await reader.get("ns", "x")).toBe(want);
  });

  it("wraps other errors with context", async () => {
    const reader = newSecretReader(kubeWith(() => Promise.reject(new KubeApiError(403, { message: "forbidden" }, "get"))));
    await expect(reader.get("ns", "x")).rejects.toThrow("cannot read secret ns/x");
  });
});
