import { describe, expect, it } from "vitest";
import type { K3Client, K3ClientOptions } from "../grpc/index.js";
import type { SecretData } from "../runtime/index.js";
import { ControllerError } from "./classify.js";
import { CONNECTION_SECRET_TYPE, Connections, type ConnectionsOptions } from "./connection.js";

/** Secrets and clients built from closures: the clients only remember their options. */
function world(options: Partial<ConnectionsOptions> = {}, failWith?: (o: K3ClientOptions) => Error) {
  const secrets = new Map<string, SecretData>();
  const made: K3ClientOptions[] = [];
  const connections = new Connections({
    defaults: { endpoint: "default:443", insecure: false },
    secrets: { get: (ns, name) => Promise.resolve(secrets.get(`${ns}/${name}`)) },
    createClient: (o) => {
      made.push(o);
      const getPipeline = () => Promise.reject(failWith?.(o) ?? new Error("no"));
      return { source: {}, pipeline: { getPipeline }, ingest: {}, close: () => undefined } as unknown as K3Client;
    },
    ...options,
  });
  const obj = (ref?: string, deleting = false) => ({
    metadata: { namespace: "team", ...(deleting ? { deletionTimestamp: "2026-11-30T00:00:00Z" } : {}) },
    spec: ref ? { connectionRef: { name: ref } } : {},
  });
  const tokenOf = async (i: number): Promise<string> => String(await made[i]!.token!());
  /** A connection Secret (the right type unless `type` says otherwise). */
  const put = (data: Record<string, string>, type = CONNECTION_SECRET_TYPE) => secrets.set("team/conn", { data, resourceVersion: "1", type });
  return { secrets, made, connections, obj, tokenOf, put };
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
    w.secrets.set("team/conn", { data: { token: "t1", endpoint: "team:443" }, resourceVersion: "1", type: CONNECTION_SECRET_TYPE });
    await w.connections.forObject(w.obj("conn"));
    expect(w.made[0]!.endpoint).toBe("team:443");
    expect(await w.tokenOf(0)).toBe("t1");
    w.secrets.set("team/conn", { data: { token: "t2", endpoint: "team:443" }, resourceVersion: "2", type: CONNECTION_SECRET_TYPE });
    await w.connections.forObject(w.obj("conn"));
    expect(w.made).toHaveLength(1); // same channel
    expect(await w.tokenOf(0)).toBe("t2");
  });

  it.each([
    { reason: "Secret missing", data: undefined, message: /team\/conn not found/ },
    { reason: "no token key", data: { endpoint: "x:1" }, message: /has no "token" key/ },
  ])("$reason → unauthorized, naming the Secret but never a value", async ({ data, message }) => {
    const w = world();
    if (data) w.put(data);
    const err = await w.connections.forObject(w.obj("conn")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerError);
    expect((err as ControllerError).errorClass).toBe("unauthorized");
    expect((err as Error).message).toMatch(message);
  });

  it("finishes a deletion with the last credentials seen when the Secret is already gone", async () => {
    const w = world();
    w.put({ token: "t1" });
    const live = await w.connections.forObject(w.obj("conn"));
    w.secrets.delete("team/conn");
    await expect(w.connections.forObject(w.obj("conn"))).rejects.toBeInstanceOf(ControllerError);
    expect(await w.connections.forObject(w.obj("conn", true))).toBe(live);
  });

  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it.each<{ reason: string; type: string; data: Record<string, string>; message: RegExp }>([
    { reason: "an Opaque Secret (any Secret with a token key)", type: "Opaque", data: { token: "sekrit" }, message: /has type "Opaque"; it must have type k3\.dodil\.io\/connection/ },
    { reason: "a service-account token Secret", type: "kubernetes.io/service-account-token", data: { token: "sekrit" }, message: /must have type k3\.dodil\.io\/connection/ },
    { reason: "an endpoint with a scheme", type: CONNECTION_SECRET_TYPE, data: { token: "sekrit", endpoint: "https://evil.example:443" }, message: /"endpoint" must be host:port/ },
    { reason: "plaintext the operator does not allow", type: CONNECTION_SECRET_TYPE, data: { token: "sekrit", endpoint: "k3.internal:50051", insecure: "true" }, message: /allows only TLS/ },
    { reason: "a ca.crt that is not PEM", type: CONNECTION_SECRET_TYPE, data: { token: "sekrit", "ca.crt": "hunter2" }, message: /"ca.crt" is not a PEM certificate/ },
  ])("refuses $reason: invalid spec, naming keys but no value, and no client made", async ({ type, data, message }) => {
    const w = world();
    w.put(data, type);
    const err = (await w.connections.forObject(w.obj("conn")).catch((e: unknown) => e)) as ControllerError;
    expect(err).toBeInstanceOf(ControllerError);
    expect(err.errorClass).toBe("invalidSpec");
    expect(err.message).toMatch(message);
    for (const value of Object.values(data)) expect(err.message).not.toContain(value);
    expect(w.made).toEqual([]);
  });

  it.each<{ reason: string; options: Partial<ConnectionsOptions>; data: Record<string, string>; want: Partial<K3ClientOptions> }>([
    { reason: "an endpoint from the Secret uses TLS even when the default is plaintext", options: { defaults: { endpoint: "default:443", insecure: true } }, data: { token: "t", endpoint: "team:443" }, want: { endpoint: "team:443", insecure: false } },
    { reason: "plaintext where the operator allows it", options: { allowInsecure: true }, data: { token: "t", endpoint: "k3.internal:50051", insecure: "true" }, want: { endpoint: "k3.internal:50051", insecure: true } },
    { reason: "the Secret's ca.crt for its endpoint", options: {}, data: { token: "t", endpoint: "team:443", "ca.crt": pem }, want: { insecure: false, ca: Buffer.from(pem) } },
    { reason: "the operator's CA when the Secret has none", options: { defaults: { endpoint: "default:443", insecure: false, ca: Buffer.from(pem) } }, data: { token: "t", endpoint: "[::1]:8443" }, want: { endpoint: "[::1]:8443", ca: Buffer.from(pem) } },
  ])("connects: $reason", async ({ options, data, want }) => {
    const w = world(options);
    w.put(data);
    await w.connections.forObject(w.obj("conn"));
    expect(w.made).toHaveLength(1);
    expect(w.made[0]).toMatchObject(want);
  });

  it("keeps the Secret's token and endpoint out of error messages", async () => {
    const w = world({}, (o) => Object.assign(new Error(`GetPipeline: unavailable: connect ECONNREFUSED ${o.endpoint} (bearer ${o.token?.() as string})`), { serverMessage: `no route to ${o.endpoint}` }));
    w.put({ token: "tok-123", endpoint: "10.1.2.3:6443" });
    const client = await w.connections.forObject(w.obj("conn"));
    const err = (await client.pipeline.getPipeline({ id: "x" }).catch((e: unknown) => e)) as Error & { serverMessage: string };
    expect(err.message).toBe("GetPipeline: unavailable: connect ECONNREFUSED <from Secret team/conn> (bearer <from Secret team/conn>)");
    expect(err.serverMessage).toBe("no route to <from Secret team/conn>");
  });
});
