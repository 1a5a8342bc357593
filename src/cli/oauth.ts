// `kubectl k3 oauth SOURCE`: the OAuth consent of a K3Source without hand-editing a Secret —
// print status.oauth.authorizationUrl, read the pasted code (or the whole redirect URL) from
// stdin, store it in the credential Secret under key `code`, and wait for CredentialReady.
import { createInterface } from "node:readline";
import type { K3Source } from "../api/gen/index.js";
import { CoreTypes, isNotFound, type KubeObject } from "../runtime/index.js";
import { Resources, type CliContext } from "./context.js";
import { follow } from "./follow.js";

/** The first non-empty line of `input`, trimmed; undefined when it ends first. */
export async function readAnswer(input: NodeJS.ReadableStream): Promise<string | undefined> {
  const lines = createInterface({ input, terminal: false });
  try {
    for await (const line of lines) if (line.trim()) return line.trim();
    return undefined;
  } finally {
    lines.close();
  }
}

function credentialReady(source: K3Source): { status: string; reason: string; message: string } | undefined {
  return source.status?.conditions?.find((c) => c.type === "CredentialReady");
}

/**
 * What became of the pasted code: CredentialReady=True; refused (CredentialInvalid for a code
 * other than the one refused before, told apart by status.credential.secretHash); or a new
 * consent (another state) because the old one expired. Undefined while the operator has not said.
 */
export function consentOutcome(source: K3Source, state: string | undefined, hashBefore: string | undefined): { ok: boolean; message: string } | undefined {
  const c = credentialReady(source);
  if (c?.status === "True") return { ok: true, message: "CredentialReady=True" };
  if (c?.reason === "CredentialInvalid" && source.status?.credential?.secretHash !== hashBefore) return { ok: false, message: c.message };
  if (source.status?.oauth?.state && source.status.oauth.state !== state) return { ok: false, message: "the consent expired or was used already; run kubectl k3 oauth again for a new URL" };
  return undefined;
}

/** Writes `code` into the Secret (created when missing), leaving its other keys alone. */
async function storeCode(ctx: CliContext, secretName: string, code: string): Promise<void> {
  const ref = { namespace: ctx.namespace, name: secretName };
  const data = { code: Buffer.from(code, "utf8").toString("base64") };
  try {
    await ctx.kube.patch(CoreTypes.Secret, ref, { type: "merge", body: { data } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await ctx.kube.create<KubeObject & { type: string; data: Record<string, string> }>(CoreTypes.Secret, { apiVersion: "v1", kind: "Secret", metadata: ref, type: "Opaque", data });
  }
}

/** The exit code when `source` needs no consent (no OAuth credential, or one ready already), else undefined. */
function nothingToDo(ctx: CliContext, source: K3Source): number | undefined {
  const name = source.metadata.name ?? "";
  if (source.spec.credential?.type !== "OAuth") {
    ctx.streams.err.write(`k3source/${name} has no OAuth credential (spec.credential.type is ${source.spec.credential?.type ?? "absent"})\n`);
    return 1;
  }
  if (credentialReady(source)?.status === "True" && !source.status?.oauth?.authorizationUrl) {
    ctx.streams.err.write(`k3source/${name}: the OAuth credential is ready already (annotate k3.dodil.io/restart-oauth to consent again)\n`);
    return 0;
  }
  return undefined;
}

/** Runs `oauth`; resolves with the exit code. */
export async function oauthConsent(ctx: CliContext, name: string): Promise<number> {
  const ref = { namespace: ctx.namespace, name };
  const read = () => ctx.kube.get<K3Source>(Resources.K3Source, ref);
  const first = await read();
  const early = nothingToDo(ctx, first);
  if (early !== undefined) return early;
  const secretName = first.spec.credential!.secretRef.name;
  // The operator asks the service for a consent URL first; a fresh source may not show one yet.
  const pending = await follow({ read, until: (s) => (s.status?.oauth?.authorizationUrl && s.status.oauth.state ? s : undefined), timeoutMs: ctx.flags.timeoutMs, what: `the consent URL of k3source/${name}` });
  const state = pending.status?.oauth?.state;
  const hashBefore = pending.status?.credential?.secretHash;
  ctx.streams.out.write(`${pending.status?.oauth?.authorizationUrl ?? ""}\n`);
  ctx.streams.err.write("Open the URL above, consent, then paste the code or the whole redirect URL here and press Enter:\n");
  const answer = await readAnswer(ctx.streams.in);
  if (!answer) {
    ctx.streams.err.write("no code was entered; nothing changed\n");
    return 1;
  }
  await storeCode(ctx, secretName, answer);
  ctx.streams.err.write(`stored the code in Secret ${ctx.namespace}/${secretName}; waiting for CredentialReady\n`);
  const outcome = await follow({ read, until: (s) => consentOutcome(s, state, hashBefore), timeoutMs: ctx.flags.timeoutMs, what: `CredentialReady of k3source/${name}` });
  (outcome.ok ? ctx.streams.out : ctx.streams.err).write(`k3source/${name}: ${outcome.message}\n`);
  return outcome.ok ? 0 : 1;
}
