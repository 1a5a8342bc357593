import type { K3Source } from "../../api/gen/index.js";
import { reasons } from "../../api/conditions.js";
import { annotations, credentialLabels } from "../../api/keys.js";
import { isK3Error, sourcev1, type K3Client } from "../../grpc/index.js";
import { createRequestId, type RecordedEvent, type StepOutcome } from "../../runtime/index.js";
import { ownerLabels, remoteDisplayName } from "../owner.js";
import { credentialReady, credentialStatus, secretHash } from "./credential.js";

type CredentialSpec = NonNullable<K3Source["spec"]["credential"]>;

/** Refresh an OAuth token this long before it expires. */
export const refreshBeforeMs = 5 * 60_000;
/** A token the service would not extend far enough is refreshed again no sooner than this. */
const minRefreshGapMs = 30_000;

const providers: Record<string, sourcev1.OAuthProvider> = {
  Google: sourcev1.OAuthProvider.O_AUTH_PROVIDER_GOOGLE,
  Microsoft: sourcev1.OAuthProvider.O_AUTH_PROVIDER_MICROSOFT,
  GitHub: sourcev1.OAuthProvider.O_AUTH_PROVIDER_GITHUB,
};
/** The provider a source type consents with when the spec names none. */
const providerBySourceType: Partial<Record<K3Source["spec"]["type"], string>> = { GoogleDrive: "Google", SharePoint: "Microsoft", GitHub: "GitHub" };

/**
 * What the user pasted under key `code`: the code alone, or the whole redirect URL from the
 * browser (then its `state` is checked against the consent we asked for).
 */
export function parseConsentCode(raw: string): { code: string; state?: string } {
  const text = raw.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      return { code: url.searchParams.get("code") ?? "", state: url.searchParams.get("state") ?? undefined };
    } catch {
      return { code: text };
    }
  }
  return { code: text };
}

/** The result of one OAuth pass: the step's outcome and the credential id the source may use ("" for none yet). */
export interface OAuthResult {
  outcome: StepOutcome;
  credentialId: string;
}

/**
 * The OAuth consent flow of a K3Source: GetOAuthUrl → status.oauth.authorizationUrl and
 * CredentialReady=False/AwaitingOAuthCode; the Secret gains `code` → ExchangeOAuthCode;
 * RefreshOAuthToken before `expiresAt`; an expired state, a failed refresh or the
 * restart-oauth annotation ask for consent again.
 */
export function newOAuthFlow(options: { k3: K3Client; now: () => Date }): { ensure(obj: K3Source, spec: CredentialSpec, data: Record<string, string>): Promise<OAuthResult> } {
  const { k3, now } = options;

  const consent = async (obj: K3Source, spec: CredentialSpec, why: string, codeHash: string | undefined, events: RecordedEvent[] = []): Promise<OAuthResult> => {
    const provider = spec.oauth?.provider ?? providerBySourceType[obj.spec.type] ?? "";
    const answer = await k3.source.getOAuthUrl({ provider: providers[provider], redirectUri: spec.oauth?.redirectUri ?? "", scopes: spec.oauth?.scopes ?? [] });
    const restart = obj.metadata.annotations?.[annotations.restartOAuth];
    return {
      credentialId: "",
      outcome: {
        // The code already in the Secret belongs to an older consent: remember its hash so it is not tried again.
        status: { ...credentialStatus({ secretHash: codeHash }), oauth: { authorizationUrl: answer.authorizationUrl, state: answer.state, lastHandledRestartAt: restart } },
        conditions: [credentialReady("False", reasons.awaitingOAuthCode, awaitingMessage(obj, spec))],
        events: [...events, { type: "Normal", reason: reasons.awaitingOAuthCode, message: `${why}; open status.oauth.authorizationUrl to consent` }],
        wait: { reason: reasons.awaitingOAuthCode, message: awaitingMessage(obj, spec), stalled: true },
      },
    };
  };

  const usable = async (obj: K3Source, spec: CredentialSpec, id: string, expiresAt: string | undefined): Promise<OAuthResult> => {
    const expires = expiresAt ? Date.parse(expiresAt) : Infinity;
    if (expires - now().getTime() > refreshBeforeMs) {
      return { credentialId: id, outcome: { conditions: [credentialReady("True", reasons.available)], pollAfterMs: refreshIn(expires) } };
    }
    try {
      const { credential } = await k3.source.refreshOAuthToken({ id });
      const next = credential?.expiresAt?.toISOString();
      return {
        credentialId: id,
        outcome: {
          status: { credential: { expiresAt: next, valid: true, message: undefined } },
          conditions: [credentialReady("True", reasons.available)],
          events: [{ type: "Normal", reason: "OAuthTokenRefreshed", message: `refreshed the OAuth token of credential ${id}` }],
          pollAfterMs: refreshIn(next ? Date.parse(next) : Infinity),
        },
      };
    } catch (err) {
      if (!isK3Error(err) || err.kind === "Transient" || err.kind === "Internal" || err.kind === "Unauthenticated") throw err;
      return consent(obj, spec, `refreshing the token failed (${err.codeName}), consent is needed again`, obj.status?.credential?.secretHash);
    }
  };

  const refreshIn = (expires: number): number | undefined =>
    Number.isFinite(expires) ? Math.max(expires - refreshBeforeMs - now().getTime(), minRefreshGapMs) : undefined;


  /** Trades the pasted code for a credential; an expired consent starts a new one, a refused code waits for another. */
  const exchange = async (obj: K3Source, spec: CredentialSpec, state: string, raw: string, codeHash: string): Promise<OAuthResult> => {
    const pasted = parseConsentCode(raw);
    if (pasted.state !== undefined && pasted.state !== state) {
      return refused("the pasted redirect URL belongs to another consent (its state differs); open status.oauth.authorizationUrl and paste the new one", codeHash);
    }
    try {
      const { credential } = await k3.source.exchangeOAuthCode({
        requestId: createRequestId(`${obj.metadata.uid ?? ""}/oauth/${state}/${codeHash}`),
        code: pasted.code,
        state,
        displayName: `${remoteDisplayName(obj)}#oauth-${state.slice(0, 8)}`,
        labels: { ...ownerLabels(obj), [credentialLabels.secretHash]: codeHash },
      });
      if (!credential) throw new Error("ExchangeOAuthCode answered without a credential");
      const expiresAt = credential.expiresAt?.toISOString();
      return {
        credentialId: credential.id,
        outcome: {
          status: { ...credentialStatus({ id: credential.id, valid: true, expiresAt, secretHash: codeHash }), oauth: { authorizationUrl: undefined, state: undefined } },
          conditions: [credentialReady("True", reasons.available)],
          events: [{ type: "Normal", reason: "OAuthConsentCompleted", message: `exchanged the consent code for credential ${credential.id}` }],
          pollAfterMs: refreshIn(expiresAt ? Date.parse(expiresAt) : Infinity),
        },
      };
    } catch (err) {
      if (!isK3Error(err, "InvalidArgument")) throw err;
      if (err.fieldViolations.some((v) => v.field === "state")) return consent(obj, spec, "the consent expired or was already used", codeHash);
      return refused(`the service refused the consent code: ${err.fieldViolations.map((v) => v.description).join("; ") || err.serverMessage}; paste a new one`, codeHash);
    }
  };

  return {
    async ensure(obj, spec, data) {
      const current = obj.status?.credential;
      const pending = obj.status?.oauth;
      const restart = obj.metadata.annotations?.[annotations.restartOAuth];
      const raw = data["code"] ?? "";
      const codeHash = raw ? secretHash("OAuth", { code: raw }) : undefined;
      if (restart && restart !== pending?.lastHandledRestartAt) return consent(obj, spec, "consent restarted on request", codeHash);
      if (current?.id && current.valid !== false) return usable(obj, spec, current.id, current.expiresAt);
      if (!pending?.state) return consent(obj, spec, "the source needs an OAuth consent", codeHash);
      // Waiting for a code we have not tried yet.
      if (!raw || codeHash === current?.secretHash) return stillWaiting(obj, spec, current?.valid === false ? current.message : undefined);
      return exchange(obj, spec, pending.state, raw, codeHash ?? "");
    },
  };
}

function awaitingMessage(obj: K3Source, spec: CredentialSpec): string {
  return `open status.oauth.authorizationUrl, consent, then put the code (or the whole redirect URL) into Secret ${obj.metadata.namespace ?? ""}/${spec.secretRef.name} under key "code"`;
}

/** No new code yet: still refused (the last code was), or awaiting one. */
function stillWaiting(obj: K3Source, spec: CredentialSpec, refusal: string | undefined): OAuthResult {
  return refusal !== undefined ? refused(refusal) : awaiting(obj, spec);
}

function awaiting(obj: K3Source, spec: CredentialSpec): OAuthResult {
  const message = awaitingMessage(obj, spec);
  return { credentialId: "", outcome: { conditions: [credentialReady("False", reasons.awaitingOAuthCode, message)], wait: { reason: reasons.awaitingOAuthCode, message, stalled: true } } };
}

/**
 * A pasted code that cannot be used: CredentialInvalid until the Secret holds another one. With
 * `codeHash` it is new (recorded, one Warning); without, it is the same one seen again (no event).
 */
function refused(message: string, codeHash?: string): OAuthResult {
  return {
    credentialId: "",
    outcome: {
      ...(codeHash ? { status: credentialStatus({ secretHash: codeHash, valid: false, message }), events: [{ type: "Warning" as const, reason: reasons.credentialInvalid, message }] } : {}),
      conditions: [credentialReady("False", reasons.credentialInvalid, message)],
      wait: { reason: reasons.credentialInvalid, message, stalled: true },
    },
  };
}
