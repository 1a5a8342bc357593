import { describe, expect, it } from "vitest";
import type { K3Client, K3ClientOptions } from "../grpc/index.js";
import type { SecretData } from "../runtime/index.js";
import { ControllerError } from "./classify.js";
import { Connections } from "./connection.js";

/** Secrets and clients built from closures: the clients only remember their options. */
function world() {
  const secrets = new Map<string, SecretData>();
  const made: K3ClientOptions[] = [];
  const connections = new Connections({
    defaults: { endpoint: "default:443", insecure: false },
    secrets: { get: (ns, name) => Promise.resolve(secrets.get(`${ns}/${name}`)) },
    createClient: (options) => {
      made.push(options);
      return { source: {}, pipeline: {}, ingest: {}, close: () => undefined } as unknown as K3Client;
    },
  });
  const obj = (ref?: string, deleting = false) => ({
    metadata: { namespace: "team", ...(deleting ? { deletionTimestamp: "2026-11-30T00:00:00Z" } : {}) },
    spec: ref ? { connectionRef: { name: ref } } : {},
  });
  const tokenOf = async (i: number): Promise<string> => String(await made[i]!.token!());
  return { secrets, made, connections, obj, tokenOf };
}

describe("Connections", () => {
  it("uses the operator default without a connectionRef, one channel for all", async () => {
    const w = world();
    const a = await w.connections.forObject(w.obj());
    const b = await w.connections.forObject(w.obj());
    expect(a).toBe(b);
    expect(w.made.map((o) => o.endpoint)).toEqual(["default:443"]);
  });

  it("reads the namespace's Secret: its endpoint, and a rotated token on the next connect", async () => {
    const w = world();
    w.secrets.set("team/conn", { data: { token: "t1", endpoint: "team:443" }, resourceVersion: "1" });
    await w.connections.forObject(w.obj("conn"));
    expect(w.made[0]!.endpoint).toBe("team:443");
    expect(await w.tokenOf(0)).toBe("t1");
    w.secrets.set("team/conn", { data: { token: "t2", endpoint: "team:443" }, resourceVersion: "2" });
    await w.connections.forObject(w.obj("conn"));
    expect(w.made).toHaveLength(1); // same channel
    expect(await w.tokenOf(0)).toBe("t2");
  });

  it.each([
    { reason: "Secret missing", data: undefined, message: /team\/conn not found/ },
    { reason: "no token key", data: { endpoint: "x:1" }, message: /has no "token" key/ },
  ])("$reason → unauthorized, naming the Secret but never a value", async ({ data, message }) => {
    const w = world();
    if (data) w.secrets.set("team/conn", { data, resourceVersion: "1" });
    const err = await w.connections.forObject(w.obj("conn")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerError);
    expect((err as ControllerError).errorClass).toBe("unauthorized");
    expect((err as Error).message).toMatch(message);
  });

  it("finishes a deletion with the last credentials seen when the Secret is already gone", async () => {
    const w = world();
    w.secrets.set("team/conn", { data: { token: "t1" }, resourceVersion: "1" });
    const live = await w.connections.forObject(w.obj("conn"));
    w.secrets.delete("team/conn");
    await expect(w.connections.forObject(w.obj("conn"))).rejects.toBeInstanceOf(ControllerError);
    expect(await w.connections.forObject(w.obj("conn", true))).toBe(live);
  });
});
