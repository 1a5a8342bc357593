// `kubectl k3 templates [NAME]`: the template catalog and each version's parameters, so a user
// can write a K3Pipeline's spec.parameters without the service's docs. The one command that
// talks to the K3 service itself (the others only write objects): through the operator-wide
// connection flags (--k3-endpoint, --k3-token-file, the operator's own names and env twins) or
// a namespace's connection Secret (--connection NAME, type k3.dodil.io/connection).
import { readFile } from "node:fs/promises";
import { createK3Client, pipelinev1, type K3Client } from "../grpc/index.js";
import { CoreTypes, type KubeObject } from "../runtime/index.js";
import { connectionSecretType } from "../api/keys.js";
import { UsageError } from "./args.js";
import type { CliContext } from "./context.js";
import { formatStructured } from "./output.js";

/** The type of Secret that may serve as a connection (the operator's rule: see src/controllers/connection.ts). */


/** Where and how to reach the K3 service. */
export interface K3Connection {
  endpoint: string;
  token: string;
  insecure: boolean;
  ca?: Buffer;
}

type Secret = KubeObject & { type?: string; data?: Record<string, string> };

const decode = (value: string | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8"));

/** The connection of --connection SECRET, else of the --k3-* flags (or their K3_* env twins). */
export async function resolveConnection(ctx: CliContext): Promise<K3Connection> {
  const f = ctx.flags.k3;
  if (f.connection) {
    const secret = await ctx.kube.get<Secret>(CoreTypes.Secret, { namespace: ctx.namespace, name: f.connection });
    if (secret.type !== connectionSecretType) throw new UsageError(`Secret ${ctx.namespace}/${f.connection} is of type ${secret.type ?? "Opaque"}, not ${connectionSecretType}`);
    const token = decode(secret.data?.["token"])?.trim();
    if (!token) throw new UsageError(`Secret ${ctx.namespace}/${f.connection} has no key "token"`);
    const endpoint = decode(secret.data?.["endpoint"])?.trim() || f.endpoint;
    if (!endpoint) throw new UsageError(`Secret ${ctx.namespace}/${f.connection} names no endpoint: add key "endpoint" or pass --k3-endpoint`);
    const ca = secret.data?.["ca.crt"];
    return { endpoint, token, insecure: decode(secret.data?.["insecure"]) === "true", ...(ca ? { ca: Buffer.from(ca, "base64") } : {}) };
  }
  if (!f.tokenFile || !f.endpoint) throw new UsageError("templates needs a K3 connection: --k3-endpoint and --k3-token-file (or K3_ENDPOINT, K3_TOKEN_FILE), or --connection SECRET");
  const token = (await readFile(f.tokenFile, "utf8")).trim();
  return { endpoint: f.endpoint, token, insecure: f.insecure, ...(f.caFile ? { ca: await readFile(f.caFile) } : {}) };
}

async function fetchTemplates(k3: K3Client, name: string | undefined): Promise<pipelinev1.Template[]> {
  if (name) {
    const { template } = await k3.pipeline.getTemplate({ name });
    return template ? [template] : [];
  }
  const all: pipelinev1.Template[] = [];
  let pageToken = "";
  do {
    const page = await k3.pipeline.listTemplates({ pageSize: 100, pageToken });
    all.push(...page.templates);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}

/** A parameter type in the words of JSON Schema: PARAMETER_TYPE_INTEGER → integer. */
function typeName(type: pipelinev1.ParameterType): string {
  return pipelinev1.parameterTypeToJSON(type).replace(/^PARAMETER_TYPE_/, "").toLowerCase();
}

/** One parameter as a line: `chunkSize  integer, required, default 512 — what it does`. */
export function parameterLine(p: pipelinev1.ParameterSpec): string {
  const facts = [typeName(p.type), ...(p.required ? ["required"] : []), ...(p.defaultValue !== undefined && p.defaultValue !== null ? [`default ${JSON.stringify(p.defaultValue)}`] : [])];
  return `${p.name}  ${facts.join(", ")}${p.description ? ` — ${p.description}` : ""}`;
}

/** A template as lines: name and latest version, then every version (newest first, or only the latest) with its parameters. */
export function templateLines(t: pipelinev1.Template, allVersions: boolean): string[] {
  const lines = [`${t.name}  latest ${t.latestVersion}${t.description ? `  ${t.description}` : ""}`];
  const versions = [...t.versions].reverse();
  for (const v of allVersions ? versions : versions.slice(0, 1)) {
    lines.push(`  ${v.version}${v.description ? `  ${v.description}` : ""}`);
    if (v.parameters.length === 0) lines.push("    (no parameters)");
    for (const p of v.parameters) lines.push(`    ${parameterLine(p)}`);
  }
  return lines;
}

/** Runs `templates`: the catalog with the latest version's parameters, or one template's every version. */
export async function showTemplates(ctx: CliContext, name: string | undefined): Promise<number> {
  const connection = await resolveConnection(ctx);
  const k3 = createK3Client({ endpoint: connection.endpoint, insecure: connection.insecure, ca: connection.ca, token: () => connection.token });
  try {
    const templates = await fetchTemplates(k3, name);
    if (ctx.flags.output) {
      ctx.streams.out.write(formatStructured({ items: templates.map((t) => pipelinev1.Template.toJSON(t)) }, ctx.flags.output));
      return 0;
    }
    for (const t of templates) ctx.streams.out.write(templateLines(t, name !== undefined).join("\n") + "\n");
    return 0;
  } finally {
    k3.close();
  }
}
