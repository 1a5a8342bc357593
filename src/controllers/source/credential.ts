import { createHash } from "node:crypto";
import type { K3Source } from "../../api/gen/index.js";
import { reasons } from "../../api/conditions.js";
import { credentialLabels, ownerLabels as ownerLabelKeys } from "../../api/keys.js";
import { isK3Error, sourcev1, type K3Client } from "../../grpc/index.js";
import { createRequestId, type RecordedEvent, type SecretReader, type StepOutcome, type SubStep } from "../../runtime/index.js";
import { ControllerError } from "../classify.js";
import { getOrUndefined } from "../lookup.js";
import { ownerLabelFilter, ownerLabels, remoteDisplayName } from "../owner.js";
import { newOAuthFlow } from "./oauth.js";

type CredentialSpec = NonNullable<K3Source["spec"]["credential"]>;
type CredentialStatus = NonNullable<NonNullable<K3Source["status"]>["credential"]>;

/** The Secret keys each credential type reads (DESIGN §1.2). */
const secretKeys: Record<Exclude<CredentialSpec["type"], "OAuth">, string[]> = {
  AccessKey: ["accessKeyId", "secretAccessKey"],
  ApiKey: ["apiKey"],
  PersonalAccessToken: ["token"],
};

const credentialTypes: Record<CredentialSpec["type"], sourcev1.CredentialType> = {
  AccessKey: sourcev1.CredentialType.CREDENTIAL_TYPE_ACCESS_KEY,
  ApiKey: sourcev1.CredentialType.CREDENTIAL_TYPE_API_KEY,
  PersonalAccessToken: sourcev1.CredentialType.CREDENTIAL_TYPE_PERSONAL_ACCESS_TOKEN,
  OAuth: sourcev1.CredentialType.CREDENTIAL_TYPE_OAUTH,
};

/** A short hash of secret material: tells a changed Secret apart without keeping its values. */
export function secretHash(kind: string, values: Record<string, string>): string {
  const h = createHash("sha256").update(kind);
  for (const key of Object.keys(values).sort()) h.update(`\0${key}\0${values[key]}`);
  return h.digest("hex").slice(0, 32);
}

/** The whole status.credential (merged field by field, so absent fields are written as undefined to clear them). */
export function credentialStatus(fields: CredentialStatus): { credential: Record<string, unknown> } {
  return { credential: { id: undefined, valid: undefined, validatedAt: undefined, expiresAt: undefined, secretHash: undefined, message: undefined, ...fields } };
}

/** CredentialReady, as a condition. */
export function credentialReady(status: "True" | "False", reason: string, message = ""): { type: string; status: "True" | "False"; reason: string; message: string } {
  return { type: "CredentialReady", status, reason, message };
}

/** Options of the credential step. */
export interface CredentialStepOptions {
  k3: K3Client;
  secrets: SecretReader;
  now: () => Date;
}

/** The credential step plus its output: the id the source must point at ("" for none). */
export interface CredentialStep extends SubStep<K3Source> {
  credentialId(obj: K3Source): string;
}

/**
 * The credential of a K3Source, handled before the source itself: stored from the referenced
 * Secret (StoreCredential), validated when asked (ValidateCredential), replaced when the Secret's
 * content changes (the source is then pointed at the new one and the old one deleted by the
 * source's update), or obtained through OAuth consent. Secret values go to the service only.
 */
export function newCredentialStep(options: CredentialStepOptions): CredentialStep {
  const { k3, secrets } = options;
  let output: string | undefined;
  const oauth = newOAuthFlow(options);

  const storeOrFind = async (obj: K3Source, spec: CredentialSpec, material: Record<string, string>, hash: string): Promise<{ cred: Partial<sourcev1.Credential> & { id: string }; events: RecordedEvent[] }> => {
    // A store whose answer was lost left a credential labelled with our uid and this hash.
    const { credentials } = await k3.source.listCredentials({ labelFilter: { ...ownerLabelFilter(obj), [credentialLabels.secretHash]: hash }, pageSize: 1 });
    const found = credentials.find((c) => c.labels[credentialLabels.secretHash] === hash && c.labels[ownerLabelKeys.uid] === obj.metadata.uid);
    if (found) return { cred: found, events: [] };
    const { credential } = await k3.source.storeCredential({
      requestId: createRequestId(`${obj.metadata.uid ?? ""}/credential/${hash}`),
      credential: {
        displayName: `${remoteDisplayName(obj)}#${hash.slice(0, 8)}`,
        labels: { ...ownerLabels(obj), [credentialLabels.secretHash]: hash },
        type: credentialTypes[spec.type],
      },
      ...secretMessage(spec.type, material),
    });
    if (!credential) throw new Error("StoreCredential answered without a credential");
    return { cred: credential, events: [{ type: "Normal", reason: "CredentialStored", message: `stored credential ${credential.id} from Secret ${spec.secretRef.name}` }] };
  };

  const use = (id: string, status: Record<string, unknown>, events: RecordedEvent[]): StepOutcome => {
    output = id;
    return { status, conditions: [credentialReady("True", reasons.available)], events };
  };

  /** Validates `cred`, unless the service already recorded a verdict (a pass that read a stale cache found it by its labels). */
  const validated = async (cred: Partial<sourcev1.Credential> & { id: string }, hash: string, events: RecordedEvent[]): Promise<StepOutcome> => {
    const id = cred.id;
    const recorded = cred.validationState === sourcev1.CredentialValidationState.CREDENTIAL_VALIDATION_STATE_VALID ||
      cred.validationState === sourcev1.CredentialValidationState.CREDENTIAL_VALIDATION_STATE_INVALID;
    const verdict = recorded
      ? { valid: cred.validationState === sourcev1.CredentialValidationState.CREDENTIAL_VALIDATION_STATE_VALID, reason: cred.validationMessage ?? "", credential: cred }
      : await k3.source.validateCredential({ id });
    const validatedAt = verdict.credential?.validateTime?.toISOString();
    if (!verdict.valid) return rejected(id, verdict.reason, hash, validatedAt, events);
    return use(id, credentialStatus({ id, valid: true, validatedAt, secretHash: hash }), events);
  };

  /** The same material as last time: nothing to call. A rejected one waits for a new Secret; one never judged is validated again. */
  const unchanged = (id: string, current: CredentialStatus, validate: boolean): StepOutcome | undefined => {
    if (validate && current.valid === undefined) return undefined;
    if (current.valid === false) return rejected(id, current.message ?? "", current.secretHash ?? "", current.validatedAt, []);
    output = id;
    return { conditions: [credentialReady("True", reasons.available)] };
  };

  return {
    name: "credential",
    credentialId: (obj) => output ?? (obj.status?.credential?.valid === false ? "" : (obj.status?.credential?.id ?? "")),

    async ensure(obj): Promise<StepOutcome> {
      output = undefined;
      const spec = obj.spec.credential;
      if (!spec) {
        output = "";
        return {};
      }
      const namespace = obj.metadata.namespace ?? "";
      const secret = await secrets.get(namespace, spec.secretRef.name);
      if (!secret) throw new ControllerError("dependency", `credential Secret ${namespace}/${spec.secretRef.name} not found`);
      if (spec.type === "OAuth") {
        const result = await oauth.ensure(obj, spec, secret.data);
        output = result.credentialId;
        return result.outcome;
      }
      const material = materialOf(spec, namespace, secret.data);
      const hash = secretHash(spec.type, material);
      const current = obj.status?.credential;
      const validate = spec.validate !== false;
      const known = current?.id && current.secretHash === hash ? current.id : undefined;
      const settled = known ? unchanged(known, current ?? {}, validate) : undefined;
      if (settled) return settled;
      // A rejected predecessor was never used by the source: it can go now.
      if (current?.id && current.valid === false && !known) await deleteQuietly(k3, current.id);
      // Known but never judged (a validation whose answer was lost): read what the service recorded
      // (GetCredential); one deleted behind our back is stored again.
      const recorded = known ? await getCredential(k3, known) : undefined;
      const { cred, events } = recorded ? { cred: recorded, events: [] } : await storeOrFind(obj, spec, material, hash);
      return validate ? validated(cred, hash, events) : use(cred.id, credentialStatus({ id: cred.id, secretHash: hash }), events);
    },

    // Every credential this object stored (rotations, consents) goes with it.
    async cleanup(obj) {
      const { credentials } = await k3.source.listCredentials({ labelFilter: ownerLabelFilter(obj), pageSize: 100 });
      for (const c of credentials) if (c.labels[ownerLabelKeys.uid] === obj.metadata.uid) await deleteQuietly(k3, c.id);
    },
  };
}

/** A credential the service rejected: CredentialReady=False, one Warning, and the source left on its old credential. */
function rejected(id: string, message: string, hash: string, validatedAt: string | undefined, events: RecordedEvent[]): StepOutcome {
  const text = `the service rejected the credential: ${message}`;
  const first = events.length > 0;
  return {
    status: credentialStatus({ id, valid: false, validatedAt, secretHash: hash, message }),
    conditions: [credentialReady("False", reasons.credentialInvalid, text)],
    events: first ? [...events, { type: "Warning", reason: reasons.credentialInvalid, message: text }] : [],
    wait: { reason: reasons.credentialInvalid, message: text, stalled: true },
  };
}

/** The Secret's values for `spec.type`; a missing key is a bad spec until the Secret changes. */
function materialOf(spec: CredentialSpec, namespace: string, data: Record<string, string>): Record<string, string> {
  const keys = secretKeys[spec.type as keyof typeof secretKeys];
  const missing = keys.filter((k) => !data[k]);
  if (missing.length > 0) {
    throw new ControllerError("invalidSpec", `credential Secret ${namespace}/${spec.secretRef.name} has no ${missing.map((k) => `"${k}"`).join(", ")} key (needed for ${spec.type})`);
  }
  return Object.fromEntries(keys.map((k) => [k, data[k]!]));
}

function secretMessage(type: CredentialSpec["type"], m: Record<string, string>): Partial<sourcev1.StoreCredentialRequest> {
  switch (type) {
    case "AccessKey":
      return { accessKey: { accessKeyId: m["accessKeyId"] ?? "", secretAccessKey: m["secretAccessKey"] ?? "" } };
    case "ApiKey":
      return { apiKey: { apiKey: m["apiKey"] ?? "" } };
    case "PersonalAccessToken":
      return { personalAccessToken: { token: m["token"] ?? "" } };
    case "OAuth":
      return {};
  }
}

async function getCredential(k3: K3Client, id: string): Promise<sourcev1.Credential | undefined> {
  return getOrUndefined(k3.source.getCredential({ id }), "credential", "GetCredential");
}

/** Deletes a credential; already gone or still in use elsewhere is not an error here. */
export async function deleteQuietly(k3: K3Client, id: string): Promise<void> {
  try {
    await k3.source.deleteCredential({ id });
  } catch (err) {
    if (isK3Error(err, "NotFound") || (isK3Error(err, "FailedPrecondition") && err.reason === "CREDENTIAL_IN_USE")) return;
    throw err;
  }
}
