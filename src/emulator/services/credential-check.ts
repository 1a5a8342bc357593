// How ValidateCredential judges secret material. There is no provider to ask, so the verdict
// comes from the material's shape; documented in src/emulator/README.md.
import type { SecretMaterial } from "../store.js";

/** The outcome of a validation. */
export interface Verdict {
  /** Whether the material is accepted. */
  valid: boolean;
  /** Why it is not, empty when valid. */
  reason: string;
}

const ok: Verdict = { valid: true, reason: "" };
const no = (reason: string): Verdict => ({ valid: false, reason });

/**
 * Judges material: any value containing "invalid" is rejected; an access key id must match
 * AKIA + 16 upper-case letters or digits and its secret be 40 characters; an API key must be
 * at least 20 characters; a personal access token must start with `ghp_` or `github_pat_`;
 * an OAuth credential is valid until its access token expires.
 */
export function judgeMaterial(secret: SecretMaterial, options: { now: number; expiresAt?: Date }): Verdict {
  const values = Object.entries(secret).filter(([key]) => key !== "kind").map(([, value]) => value);
  if (values.some((value) => value.toLowerCase().includes("invalid"))) return no("the provider rejected the credential (access denied)");
  switch (secret.kind) {
    case "accessKey":
      if (!/^AKIA[0-9A-Z]{16}$/.test(secret.accessKeyId)) return no("access key id must be AKIA followed by 16 upper-case letters or digits");
      if (secret.secretAccessKey.length !== 40) return no("secret access key must be 40 characters long");
      return ok;
    case "apiKey":
      return secret.apiKey.length >= 20 ? ok : no("API key must be at least 20 characters long");
    case "personalAccessToken":
      return secret.token.startsWith("ghp_") || secret.token.startsWith("github_pat_")
        ? ok
        : no("personal access token must start with ghp_ or github_pat_");
    case "oauth":
      if (options.expiresAt !== undefined && options.expiresAt.getTime() <= options.now) {
        return no(`access token expired at ${options.expiresAt.toISOString()}; refresh it with RefreshOAuthToken`);
      }
      return ok;
  }
}
