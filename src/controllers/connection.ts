import { readFile } from "node:fs/promises";
import { createK3Client, type K3CallEvent, type K3Client, type K3ClientOptions, type K3Logger } from "../grpc/index.js";
import type { SecretReader, TokenBucket } from "../runtime/index.js";
import { ControllerError } from "./classify.js";

/** The operator-wide connection, used by objects whose spec names no connection Secret. */
export interface DefaultConnection {
  endpoint: string;
  insecure: boolean;
  /** File holding the bearer token; re-read on every call so a rotated token needs no restart. */
  tokenFile?: string;
}

/** Options of `Connections`. */
export interface ConnectionsOptions {
  defaults: DefaultConnection;
  secrets: SecretReader;
  /** Throttles every call to the service (a token bucket shared by all controllers). */
  limiter?: TokenBucket;
  onCall?: (event: K3CallEvent) => void;
  logger?: K3Logger;
  /** Client factory; tests may wrap it. */
  createClient?: (options: K3ClientOptions) => K3Client;
}

/** An object that may name a connection Secret in its namespace. */
export interface Connectable {
  metadata: { namespace?: string; deletionTimestamp?: string };
  spec: { connectionRef?: { name: string } };
}

interface Pooled {
  client: K3Client;
  /** the token the client sends; replaced when the Secret changes, read on every call */
  holder: { token: string };
}

/**
 * Hands out K3 clients per connection: the operator default, or a namespace's
 * `spec.connectionRef` Secret (`token`, optional `endpoint`). One channel per endpoint and
 * Secret; the Secret is re-read on each connect so rotation takes effect on the next reconcile.
 */
export class Connections {
  private readonly pool = new Map<string, Pooled>();
  /** the last connection seen per Secret ("namespace/name"), for deletions after the Secret went */
  private readonly lastBySecret = new Map<string, Pooled>();

  constructor(private readonly options: ConnectionsOptions) {}

  /** The client for `obj`; throws a classified ControllerError when its connection Secret is unusable. */
  async forObject(obj: Connectable): Promise<K3Client> {
    const ref = obj.spec.connectionRef?.name;
    if (!ref) return this.defaultClient();
    const namespace = obj.metadata.namespace ?? "";
    const secretKey = `${namespace}/${ref}`;
    const secret = await this.options.secrets.get(namespace, ref);
    const token = secret?.data["token"];
    if (!token) {
      // A namespace being torn down often loses the Secret before our object: finish its
      // deletion with the credentials last seen rather than hold the finalizer forever.
      const last = this.lastBySecret.get(secretKey);
      if (obj.metadata.deletionTimestamp && last) return last.client;
      const problem = secret ? `has no "token" key` : "not found";
      throw new ControllerError("unauthorized", `connection Secret ${secretKey} ${problem}`);
    }
    const endpoint = secret.data["endpoint"] || this.options.defaults.endpoint;
    const key = `${endpoint}|${secretKey}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      const holder = { token };
      pooled = { holder, client: this.newClient(endpoint, () => holder.token) };
      this.pool.set(key, pooled);
    }
    pooled.holder.token = token;
    this.lastBySecret.set(secretKey, pooled);
    return pooled.client;
  }

  /** Closes every channel. */
  close(): void {
    for (const { client } of this.pool.values()) client.close();
    this.pool.clear();
  }

  private defaultClient(): K3Client {
    const key = `default|${this.options.defaults.endpoint}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      const file = this.options.defaults.tokenFile;
      const token = async (): Promise<string> => (file ? (await readFile(file, "utf8")).trim() : "");
      pooled = { holder: { token: "" }, client: this.newClient(this.options.defaults.endpoint, token) };
      this.pool.set(key, pooled);
    }
    return pooled.client;
  }

  private newClient(endpoint: string, token: () => string | Promise<string>): K3Client {
    const create = this.options.createClient ?? createK3Client;
    const client = create({
      endpoint,
      insecure: this.options.defaults.insecure,
      token,
      onCall: this.options.onCall,
      logger: this.options.logger,
    });
    return this.options.limiter ? throttled(client, this.options.limiter) : client;
  }
}

/** Wraps every method of the three services so each call first takes a token from `limiter`. */
function throttled(client: K3Client, limiter: TokenBucket): K3Client {
  const wrap = <S extends object>(service: S): S => {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(service)) {
      out[name] = async (...args: unknown[]): Promise<unknown> => {
        await limiter.take();
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      };
    }
    return out as S;
  };
  return { source: wrap(client.source), pipeline: wrap(client.pipeline), ingest: wrap(client.ingest), close: () => client.close() };
}
