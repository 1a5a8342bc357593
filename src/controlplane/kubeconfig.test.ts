import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderKubeconfig, serviceAccountUser } from "./kubeconfig.js";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

describe("renderKubeconfig", () => {
  it.each([
    { reason: "client certificates are embedded", credentials: { certPem: "CERT", keyPem: "KEY" }, user: { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") } },
    { reason: "a token is used as is", credentials: { token: "abc" }, user: { token: "abc" } },
  ])("$reason", ({ credentials, user }) => {
    const config = parse(renderKubeconfig({ name: "local", server: "https://127.0.0.1:6443", caPem: "CA", credentials })) as Record<string, unknown>;
    expect(config).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "local", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": b64("CA") } }],
      users: [{ name: "local", user }],
      contexts: [{ name: "local", context: { cluster: "local", user: "local" } }],
      "current-context": "local",
    });
  });

  it("sets the context's namespace when given", () => {
    const config = parse(renderKubeconfig({ name: "n", server: "s", caPem: "c", credentials: { token: "t" }, namespace: "ns" })) as {
      contexts: { context: { namespace?: string } }[];
    };
    expect(config.contexts[0]?.context.namespace).toBe("ns");
  });
});

describe("serviceAccountUser", () => {
  it("names the user and groups the apiserver gives a ServiceAccount token", () => {
    expect(serviceAccountUser("ops", "k3-operator")).toEqual({
      user: "system:serviceaccount:ops:k3-operator",
      groups: ["system:serviceaccounts", "system:serviceaccounts:ops"],
    });
  });
});
