import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeClient, type KubeClient, ndjsonLines } from "./kube-client.js";
import { isConflict, isGone, isNotFound } from "./kube-errors.js";
import type { WatchEvent } from "./kube-types.js";
import type { ResourceType } from "./resource.js";

const widgets: ResourceType = { group: "test.k3.dodil.io", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  accept: string | undefined;
  auth: string | undefined;
  body: string;
}

/** A loopback fake apiserver: records requests and answers from a route table. */
function fakeApiserver(route: (req: Seen, res: ServerResponse) => void): { server: Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], accept: req.headers.accept, auth: req.headers.authorization, body };
      seen.push(s);
      route(s, res);
    });
  });
  return { server, seen };
}

const status = (res: ServerResponse, code: number, reason: string): void => {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", code, reason, message: `${reason} happened` }));
};

describe("HttpKubeClient", () => {
  let client: KubeClient;
  const fake = fakeApiserver((req, res) => {
    if (req.url.includes("watch=true")) {
      res.writeHead(200, { "content-type": "application/json" });
      const ev = (type: string, name: string): string => JSON.stringify({ type, object: { metadata: { name, resourceVersion: "5" } } });
      // split one event across two writes to exercise line reassembly
      const two = `${ev("ADDED", "a")}\n${ev("MODIFIED", "b")}\n`;
      res.write(two.slice(0, 30));
      setTimeout(() => res.end(two.slice(30)), 10);
      return;
    }
    if (req.url.endsWith("/widgets/missing")) return status(res, 404, "NotFound");
    if (req.url.endsWith("/widgets/stale/status")) return status(res, 409, "Conflict");
    if (req.url.startsWith("/apis/test.k3.dodil.io/v1/widgets?")) return status(res, 410, "Expired");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ metadata: { name: "w", resourceVersion: "7" }, items: [] }));
  });

  beforeAll(async () => {
    fake.server.listen(0, "127.0.0.1");
    await once(fake.server, "listening");
    const port = (fake.server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), "kube-client-"));
    const path = join(dir, "kubeconfig");
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: "t0k3n" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    client = createKubeClient({ kubeconfigPath: path });
  });
  afterAll(() => {
    fake.server.close();
  });

  it("patches status with a merge patch on the status subresource, with the bearer token", async () => {
    await client.patch(widgets, { namespace: "ns", name: "w" }, { type: "merge", body: { status: { x: 1 } } }, { subresource: "status" });
    const req = fake.seen.at(-1)!;
    expect(req).toMatchObject({
      method: "PATCH",
      url: "/apis/test.k3.dodil.io/v1/namespaces/ns/widgets/w/status",
      contentType: "application/merge-patch+json",
      auth: "Bearer t0k3n",
      body: '{"status":{"x":1}}',
    });
  });

  it("sends JSON patches with their content type", async () => {
    await client.patch(widgets, { namespace: "ns", name: "w" }, { type: "json", ops: [{ op: "remove", path: "/metadata/finalizers/0" }] });
    expect(fake.seen.at(-1)!.contentType).toBe("application/json-patch+json");
  });

  it("lists with selectors, leaving out empty options", async () => {
    await client.list(widgets, { namespace: "ns", labelSelector: "a=b", fieldSelector: "" });
    expect(fake.seen.at(-1)!.url).toBe("/apis/test.k3.dodil.io/v1/namespaces/ns/widgets?labelSelector=a%3Db");
  });

  it("asks for PartialObjectMetadata when listing or watching metadata only, plain JSON otherwise", async () => {
    await client.list(widgets, { namespace: "ns", metadataOnly: true });
    expect(fake.seen.at(-1)).toMatchObject({ url: "/apis/test.k3.dodil.io/v1/namespaces/ns/widgets", accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" });
    await client.watch(widgets, { timeoutSeconds: 60, allowWatchBookmarks: true, metadataOnly: true, signal: new AbortController().signal }, () => {});
    expect(fake.seen.at(-1)!.accept).toBe("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
    expect(new URL(fake.seen.at(-1)!.url, "http://x").searchParams.has("metadataOnly")).toBe(false);
    await client.list(widgets, { namespace: "ns" });
    expect(fake.seen.at(-1)!.accept).toBe("application/json");
  });

  it("creates with apiVersion and kind filled in", async () => {
    await client.create(widgets, { metadata: { namespace: "ns", name: "w" } });
    expect(JSON.parse(fake.seen.at(-1)!.body)).toMatchObject({ apiVersion: "test.k3.dodil.io/v1", kind: "Widget" });
  });

  it.each([
    { reason: "404 is not found", call: () => client.get(widgets, { namespace: "ns", name: "missing" }), check: isNotFound },
    {
      reason: "409 Conflict is a conflict",
      call: () => client.patch(widgets, { namespace: "ns", name: "stale" }, { type: "merge", body: {} }, { subresource: "status" }),
      check: isConflict,
    },
    { reason: "410 is gone", call: () => client.list(widgets, { limit: 1 }), check: isGone },
  ])("classifies errors: $reason", async ({ call, check }) => {
    const err: unknown = await call().catch((e: unknown) => e);
    expect(check(err)).toBe(true);
    expect(String(err)).toMatch(/happened/);
  });

  it("streams watch events split across chunks, with bookmarks and timeout requested", async () => {
    const events: WatchEvent[] = [];
    const ac = new AbortController();
    await client.watch(widgets, { resourceVersion: "4", timeoutSeconds: 60, allowWatchBookmarks: true, signal: ac.signal }, (e) => events.push(e));
    expect(events.map((e) => `${e.type}:${e.object.kind ?? ""}${"metadata" in e.object ? e.object.metadata?.name : ""}`)).toEqual([
      "ADDED:a",
      "MODIFIED:b",
    ]);
    const url = new URL(fake.seen.at(-1)!.url, "http://x");
    expect(Object.fromEntries(url.searchParams)).toEqual({ resourceVersion: "4", timeoutSeconds: "60", allowWatchBookmarks: "true", watch: "true" });
  });
});

describe("ndjsonLines", () => {
  it("reassembles lines split anywhere, including inside a multi-byte character", async () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\n\n{"b":2}');
    const chunks = [bytes.slice(0, 7), bytes.slice(7, 12), bytes.slice(12)];
    const lines: string[] = [];
    const stream = (async function* (): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      yield* chunks;
    })();
    for await (const l of ndjsonLines(stream)) lines.push(l);
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}']);
  });
});
