import { createHash } from "node:crypto";
import { createK3Client, type K3CallEvent, type K3Client, type K3ClientOptions, type K3Logger } from "../grpc/index.js";
import { cachedFileToken, type SecretReader, type TokenBucket } from "../runtime/index.js";
import { connectionSecretType } from "../api/keys.js";
import { ControllerError } from "./classify.js";

/**
 * The `type` a Secret must have to serve as a connection Secret. Any other Secret with a
 * `token` key (a service-account token, say) is refused: the operator sends a connection
 * Secret's token to the endpoint it names, so only Secrets made for that purpose qualify.
 */
export const CONNECTION_SECRET_TYPE = connectionSecretType;

/** The operator-wide connection, used by objects whose spec names no connection Secret. */
export interface DefaultConnection {
  endpoint: string;
  insecure: boolean;
  /** File holding the bearer token; read again at most every 10 s, so a rotated token needs no restart. */
  tokenFile?: string;
  /** PEM roots for TLS (the default endpoint, and Secret endpoints without their own `ca.crt`); system roots otherwise. */
  ca?: Buffer;
}

/** Options of `Connections`. */
export interface ConnectionsOptions {
  defaults: DefaultConnection;
  secrets: SecretReader;
  /** Connection Secrets may ask for plaintext (`insecure: "true"`); without it every endpoint a Secret names uses TLS. */
  allowInsecure?: boolean;
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

/** Where and how a connection Secret says to connect. */
interface SecretTarget {
  endpoint: string;
  insecure: boolean;
  ca: Buffer | undefined;
  /** whether the endpoint came from the Secret (then it is redacted from error messages) */
  fromSecret: boolean;
}

// host:port, host a DNS name, IPv4 or [IPv6]: no scheme, path, credentials or whitespace.
const ENDPOINT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/**
 * Hands out K3 clients per connection: the operator default, or a namespace's
 * `spec.connectionRef` Secret of type `k3.dodil.io/connection` (`token`, optional `endpoint`,
 * `ca.crt`, and `insecure` where the operator allows plaintext). One channel per endpoint and
 * Secret; the Secret is re-read on each connect so rotation takes effect on the next reconcile.
 * Messages name the Secret and its keys, never their values.
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
    if (!secret || !token) {
      // A namespace being torn down often loses the Secret before our object: finish its
      // deletion with the credentials last seen rather than hold the finalizer forever.
      const last = this.lastBySecret.get(secretKey);
      if (obj.metadata.deletionTimestamp && last) return last.client;
      const problem = secret ? `has no "token" key` : "not found";
      throw new ControllerError("unauthorized", `connection Secret ${secretKey} ${problem}`);
    }
    if (secret.type !== CONNECTION_SECRET_TYPE) {
      throw new ControllerError("invalidSpec", `connection Secret ${secretKey} has type ${JSON.stringify(secret.type)}; it must have type ${CONNECTION_SECRET_TYPE}`);
    }
    const target = this.targetOf(secretKey, secret.data);
    const key = `${target.endpoint}|${target.insecure}|${target.ca ? createHash("sha256").update(target.ca).digest("hex") : ""}|${secretKey}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      const holder = { token };
      const client = this.newClient(target, () => holder.token);
      // The Secret's values (token, endpoint) must not reach status or events through an error message.
      const hidden = () => [holder.token, ...(target.fromSecret ? [target.endpoint] : [])];
      pooled = { holder, client: redacting(client, hidden, `<from Secret ${secretKey}>`) };
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

  private targetOf(secretKey: string, data: Record<string, string>): SecretTarget {
    const { defaults } = this.options;
    const endpoint = data["endpoint"]?.trim();
    if (endpoint !== undefined && endpoint !== "" && !ENDPOINT.test(endpoint)) {
      throw new ControllerError("invalidSpec", `connection Secret ${secretKey}: key "endpoint" must be host:port (no scheme or path)`);
    }
    const askedInsecure = data["insecure"] !== undefined && ["1", "true", "yes", "on"].includes(data["insecure"].trim().toLowerCase());
    if (askedInsecure && !this.options.allowInsecure) {
      throw new ControllerError("invalidSpec", `connection Secret ${secretKey} asks for plaintext (key "insecure") but the operator allows only TLS (--allow-insecure-connections)`);
    }
    const caPem = data["ca.crt"];
    if (caPem !== undefined && !caPem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ControllerError("invalidSpec", `connection Secret ${secretKey}: key "ca.crt" is not a PEM certificate`);
    }
    const ca = caPem !== undefined ? Buffer.from(caPem) : defaults.ca;
    if (!endpoint) return { endpoint: defaults.endpoint, insecure: askedInsecure || defaults.insecure, ca, fromSecret: false };
    // An endpoint named by a Secret gets TLS unless the operator allows plaintext and the Secret asks for it.
    return { endpoint, insecure: askedInsecure, ca, fromSecret: true };
  }

  private defaultClient(): K3Client {
    const key = `default|${this.options.defaults.endpoint}`;
    let pooled = this.pool.get(key);
    if (!pooled) {
      const { defaults } = this.options;
      const file = defaults.tokenFile;
      const token = file ? cachedFileToken(file) : (): string => "";
      pooled = { holder: { token: "" }, client: this.newClient({ endpoint: defaults.endpoint, insecure: defaults.insecure, ca: defaults.ca, fromSecret: false }, token) };
      this.pool.set(key, pooled);
    }
    return pooled.client;
  }

  private newClient(target: SecretTarget, token: () => string | Promise<string>): K3Client {
    const create = this.options.createClient ?? createK3Client;
    const client = create({
      endpoint: target.endpoint,
      insecure: target.insecure,
      ...(target.insecure || !target.ca ? {} : { ca: target.ca }),
      token,
      onCall: this.options.onCall,
      logger: this.options.logger,
    });
    return this.options.limiter ? throttled(client, this.options.limiter) : client;
  }
}

/** Wraps every method of the three services so a rejection's message never contains one of `hidden()`'s values. */
function redacting(client: K3Client, hidden: () => string[], placeholder: string): K3Client {
  const scrub = (text: string): string => hidden().filter((v) => v.length > 0).reduce((t, v) => t.split(v).join(placeholder), text);
  const wrap = <S extends object>(service: S): S => {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(service)) {
      out[name] = async (...args: unknown[]): Promise<unknown> => {
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (err) {
          if (err instanceof Error) {
            err.message = scrub(err.message);
            // K3Error keeps the server's own text too; it is readonly by type, not at run time.
            const withServerText = err as { serverMessage?: unknown };
            if (typeof withServerText.serverMessage === "string") Object.assign(err, { serverMessage: scrub(withServerText.serverMessage) });
          }
          throw err;
        }
      };
    }
    return out as S;
  };
  return { source: wrap(client.source), pipeline: wrap(client.pipeline), ingest: wrap(client.ingest), close: () => client.close() };
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
