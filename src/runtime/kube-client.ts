import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import { KubeApiError } from "./kube-errors.js";
import type { KubeList, KubeObject, KubeStatus, WatchEvent } from "./kube-types.js";
import { apiVersionOf, collectionPath, objectPath, type ResourceType } from "./resource.js";

/** Namespace and name of one object (namespace omitted for cluster-scoped types). */
export interface ObjectRef {
  namespace?: string;
  name: string;
}

/** Options of a list call; `namespace` omitted lists all namespaces. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** ask for metadata only (PartialObjectMetadataList): no spec, status or Secret data on the wire */
  metadataOnly?: boolean;
  /** aborting cancels the call */
  signal?: AbortSignal;
}

/** Options of a watch call. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** the apiserver ends the watch after this long, so no watch lives forever unnoticed */
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
  /** events carry metadata only (PartialObjectMetadata) */
  metadataOnly?: boolean;
  /** aborting ends the watch quietly (the promise resolves) */
  signal: AbortSignal;
}

/** A JSON patch operation (RFC 6902). */
export interface JsonPatchOp {
  op: "add" | "remove" | "replace" | "test";
  path: string;
  value?: unknown;
}

/** A patch body with its type; merge patches are what status and finalizer writes use. */
export type Patch = { type: "merge"; body: unknown } | { type: "json"; ops: JsonPatchOp[] };

/** Options of a single get or create call. */
export interface CallOptions {
  /** aborting cancels the call (a leader bounds its Lease writes by the renew deadline this way) */
  signal?: AbortSignal;
}

/** Options of a patch call. */
export interface PatchOptions extends CallOptions {
  /** e.g. `status` to write through the status subresource */
  subresource?: string;
}

/**
 * The generic apiserver client the runtime is built on. Calls throw `KubeApiError` for error
 * answers (see kube-errors.ts for conflict / not-found / gone).
 */
export interface KubeClient {
  get<T extends KubeObject>(rt: ResourceType, ref: ObjectRef, options?: CallOptions): Promise<T>;
  list<T extends KubeObject>(rt: ResourceType, options?: ListOptions): Promise<KubeList<T>>;
  /** Streams events until the server ends the watch (resolves), the signal aborts (resolves) or an error (rejects). */
  watch(rt: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void>;
  create<T extends KubeObject>(rt: ResourceType, obj: T, options?: CallOptions): Promise<T>;
  patch<T extends KubeObject>(rt: ResourceType, ref: ObjectRef, patch: Patch, options?: PatchOptions): Promise<T>;
  /** Replaces an object (PUT); its metadata.resourceVersion makes the write conditional, so a stale one gets 409. */
  update<T extends KubeObject>(rt: ResourceType, obj: T, options?: CallOptions): Promise<T>;
  delete(rt: ResourceType, ref: ObjectRef): Promise<void>;
}

/** Where to load credentials from. */
export interface KubeConfigSource {
  /** a kubeconfig file; otherwise $KUBECONFIG, ~/.kube/config or the in-cluster service account */
  kubeconfigPath?: string;
  /** a context of that kubeconfig other than the current one */
  context?: string;
  /** timeout of non-watch calls; 30 s unless given */
  requestTimeoutMs?: number;
}

/** Loads a kubeconfig and returns a `KubeClient` for its current (or given) context. */
export function createKubeClient(source: KubeConfigSource = {}): KubeClient {
  const kc = new KubeConfig();
  if (source.kubeconfigPath) kc.loadFromFile(source.kubeconfigPath);
  else kc.loadFromDefault();
  if (source.context) kc.setCurrentContext(source.context);
  return new HttpKubeClient(kc, source.requestTimeoutMs ?? 30_000);
}

interface RequestSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header; plain JSON unless given */
  accept?: string;
  signal?: AbortSignal;
  context: string;
}

const mergePatch = "application/merge-patch+json";
const jsonPatch = "application/json-patch+json";
/** Accept headers asking the apiserver for metadata only (what client-go's metadata informers send). */
const metadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const metadataAccept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

/**
 * `KubeClient` over client-node's request plumbing (auth, TLS). It does its own paths and
 * content types so one code path serves every group/version/plural and the status subresource,
 * and it reuses one connection pool: client-node 2.0 builds a new TLS agent per request.
 */
class HttpKubeClient implements KubeClient {
  private readonly http = new IsomorphicFetchHttpLibrary();
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {}

  async get<T extends KubeObject>(rt: ResourceType, ref: ObjectRef, options: CallOptions = {}): Promise<T> {
    const path = objectPath(rt, ref);
    return (await this.json(await this.send({ method: HttpMethod.GET, path, signal: options.signal, context: `get ${path}` }))) as T;
  }

  async list<T extends KubeObject>(rt: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const path = collectionPath(rt, options.namespace);
    const { namespace: _ns, signal, metadataOnly, ...query } = options;
    const accept = metadataOnly ? metadataListAccept : undefined;
    const resp = await this.send({ method: HttpMethod.GET, path, query, accept, signal, context: `list ${path}` });
    return (await this.json(resp)) as KubeList<T>;
  }

  async watch(rt: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    const path = collectionPath(rt, options.namespace);
    const { namespace: _ns, signal, metadataOnly, ...query } = options;
    try {
      const accept = metadataOnly ? metadataAccept : undefined;
      const resp = await this.send({ method: HttpMethod.GET, path, query: { ...query, watch: true }, accept, signal, context: `watch ${path}` });
      const stream = resp.body.stream();
      if (!stream) throw new Error(`watch ${path}: empty body`);
      for await (const line of ndjsonLines(stream)) onEvent(JSON.parse(line) as WatchEvent);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
  }

  async create<T extends KubeObject>(rt: ResourceType, obj: T, options: CallOptions = {}): Promise<T> {
    const path = collectionPath(rt, obj.metadata?.namespace);
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, ...obj };
    const resp = await this.send({ method: HttpMethod.POST, path, body, contentType: "application/json", signal: options.signal, context: `create ${path}` });
    return (await this.json(resp)) as T;
  }

  async patch<T extends KubeObject>(rt: ResourceType, ref: ObjectRef, patch: Patch, options: PatchOptions = {}): Promise<T> {
    const path = objectPath(rt, ref, options.subresource);
    const resp = await this.send({
      method: HttpMethod.PATCH,
      path,
      body: patch.type === "merge" ? patch.body : patch.ops,
      contentType: patch.type === "merge" ? mergePatch : jsonPatch,
      signal: options.signal,
      context: `patch ${path}`,
    });
    return (await this.json(resp)) as T;
  }

  async update<T extends KubeObject>(rt: ResourceType, obj: T, options: CallOptions = {}): Promise<T> {
    const path = objectPath(rt, { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? "" });
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, ...obj };
    const resp = await this.send({ method: HttpMethod.PUT, path, body, contentType: "application/json", signal: options.signal, context: `update ${path}` });
    return (await this.json(resp)) as T;
  }

  async delete(rt: ResourceType, ref: ObjectRef): Promise<void> {
    const path = objectPath(rt, ref);
    await this.send({ method: HttpMethod.DELETE, path, context: `delete ${path}` });
  }

  private async send(spec: RequestSpec): Promise<ResponseContext> {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw new Error(`${spec.context}: the kubeconfig has no current cluster`);
    const url = new URL(server.replace(/\/$/, "") + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), spec.method);
    ctx.setHeaderParam("Accept", spec.accept ?? "application/json");
    if (spec.body !== undefined) {
      ctx.setBody(JSON.stringify(spec.body));
      ctx.setHeaderParam("Content-Type", spec.contentType ?? "application/json");
    }
    // Watches run until the server's timeoutSeconds; everything else gets a deadline.
    const deadline = spec.query?.watch ? undefined : AbortSignal.timeout(this.timeoutMs);
    const signals = [spec.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    ctx.setSignal(AbortSignal.any(signals));
    await this.kc.applySecurityAuthentication(ctx);
    if (this.dispatcher === undefined) this.dispatcher = ctx.getDispatcher();
    else ctx.setDispatcher(this.dispatcher);
    let resp: ResponseContext;
    try {
      resp = await this.http.send(ctx).toPromise();
    } catch (cause) {
      throw new Error(`${spec.context}: request failed`, { cause });
    }
    if (resp.httpStatusCode >= 400) throw new KubeApiError(resp.httpStatusCode, await readStatus(resp), spec.context);
    return resp;
  }

  private async json(resp: ResponseContext): Promise<unknown> {
    return JSON.parse(await resp.body.text()) as unknown;
  }
}

async function readStatus(resp: ResponseContext): Promise<KubeStatus | undefined> {
  try {
    return JSON.parse(await resp.body.text()) as KubeStatus;
  } catch {
    return undefined;
  }
}

/** Splits a byte stream into non-empty lines (a watch sends one JSON event per line; chunks may split them anywhere). */
export async function* ndjsonLines(stream: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield line;
      nl = buffered.indexOf("\n");
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest) yield rest;
}
