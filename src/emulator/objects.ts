// The objects a source "contains". Nothing is read from anywhere: a source's objects are
// derived from a hash of its type and configuration, so the same configuration always lists
// the same objects and a changed configuration lists different ones. Documented rules:
// - every external source except HTTP holds 10..20 objects, mixed pdf/markdown/png/json, and
//   exactly one of them is a corrupt PDF (`.../corrupt-scan-NNN.pdf`) whose ingest jobs fail;
// - an HTTP source holds one object, named after the URL's path;
// - the internal S3 source holds a fixed set of four objects, none corrupt;
// - a GitHub source whose repo is "missing" cannot be listed (discovery and ingestion fail).
import { createHash } from "node:crypto";
import { SourceType, type Source } from "../grpc/gen/dodil/k3/source/v1/source.js";

/** One object of a source. */
export interface SourceObject {
  /** Key of the object in its source. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** MIME type. */
  mimeType: string;
  /** Content hash; changes when the object would change. */
  etag: string;
}

/** Error of every ingest job of an object whose key contains "corrupt". */
export const CORRUPT_OBJECT_ERROR = "cannot parse object: corrupt content";
/** Attempts made on a corrupt object before its job fails. */
export const CORRUPT_OBJECT_ATTEMPTS = 3;
/** The repo name that makes a GitHub source unreadable. */
export const MISSING_GITHUB_REPO = "missing";

interface ObjectKind {
  ext: string;
  mimeType: string;
  dirs: readonly string[];
  names: readonly string[];
  minSize: number;
  maxSize: number;
}

const KINDS: readonly ObjectKind[] = [
  { ext: "pdf", mimeType: "application/pdf", dirs: ["reports/2026", "contracts", "papers"], names: ["q1-report", "annual-summary", "invoice", "whitepaper"], minSize: 50_000, maxSize: 5_000_000 },
  { ext: "md", mimeType: "text/markdown", dirs: ["docs/guides", "notes", "wiki"], names: ["setup-guide", "meeting-notes", "runbook", "faq"], minSize: 1_000, maxSize: 50_000 },
  { ext: "png", mimeType: "image/png", dirs: ["images/diagrams", "screenshots"], names: ["architecture", "dashboard", "flow-chart"], minSize: 20_000, maxSize: 2_000_000 },
  { ext: "json", mimeType: "application/json", dirs: ["data/exports", "config"], names: ["records", "metrics", "catalog"], minSize: 1_000, maxSize: 500_000 },
];

const INTERNAL_OBJECTS: readonly SourceObject[] = [
  { key: "uploads/architecture.png", size: 412_000, mimeType: "image/png", etag: "internal-architecture-v1" },
  { key: "uploads/catalog.json", size: 23_500, mimeType: "application/json", etag: "internal-catalog-v1" },
  { key: "uploads/product-notes.md", size: 8_412, mimeType: "text/markdown", etag: "internal-notes-v1" },
  { key: "uploads/welcome.pdf", size: 182_340, mimeType: "application/pdf", etag: "internal-welcome-v1" },
];

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: "application/pdf", md: "text/markdown", png: "image/png", json: "application/json",
  html: "text/html", htm: "text/html", txt: "text/plain", csv: "text/csv",
};

/** A deterministic non-negative integer from a seed and a label. */
function hashInt(seed: string, label: string): number {
  return createHash("sha256").update(`${seed}\u0000${label}`).digest().readUInt32BE(0);
}

/** The set config case of a source, e.g. ["s3", {...}]. */
function configOf(source: Source): [string, Record<string, string>] {
  const cases = ["s3", "gcs", "azureBlob", "github", "googleDrive", "sharePoint", "http", "internalS3"] as const;
  for (const name of cases) {
    const value = source[name];
    if (value !== undefined) return [name, value as unknown as Record<string, string>];
  }
  return ["none", {}];
}

function prefixOf(source: Source): string {
  const raw = source.s3?.prefix ?? source.gcs?.prefix ?? source.azureBlob?.prefix ?? source.github?.path ?? "";
  const trimmed = raw.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

function httpObject(url: string, seed: string): SourceObject {
  let path = "";
  try {
    path = new URL(url).pathname.replace(/^\/+/, "");
  } catch {
    path = "";
  }
  const key = path === "" || path.endsWith("/") ? `${path}index.html` : path;
  const ext = key.split(".").at(-1)?.toLowerCase() ?? "";
  return { key, size: 2_000 + (hashInt(seed, "size") % 200_000), mimeType: MIME_BY_EXTENSION[ext] ?? "application/octet-stream", etag: seed.slice(0, 16) };
}

/** Lists a source's objects, ordered by key (see the module comment for the rules). */
export function deriveObjects(source: Source): SourceObject[] {
  if (source.type === SourceType.SOURCE_TYPE_INTERNAL_S3) return INTERNAL_OBJECTS.map((o) => ({ ...o }));
  const [configCase, config] = configOf(source);
  const canonical = JSON.stringify(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
  const seed = createHash("sha256").update(`${source.type}|${configCase}|${canonical}`).digest("hex");
  if (source.http !== undefined) return [httpObject(source.http.url, seed)];
  const prefix = prefixOf(source);
  const count = 10 + (hashInt(seed, "count") % 11);
  const corruptIndex = hashInt(seed, "corrupt") % count;
  const objects: SourceObject[] = [];
  for (let i = 0; i < count; i++) {
    const number = String(i + 1).padStart(3, "0");
    const pick = (label: string, n: number): number => hashInt(seed, `${label}${i}`) % n;
    const kind = i === corruptIndex ? (KINDS[0] as ObjectKind) : (KINDS[pick("kind", KINDS.length)] as ObjectKind);
    const dir = i === corruptIndex ? "reports/2026" : (kind.dirs[pick("dir", kind.dirs.length)] as string);
    const name = i === corruptIndex ? "corrupt-scan" : (kind.names[pick("name", kind.names.length)] as string);
    objects.push({
      key: `${prefix}${dir}/${name}-${number}.${kind.ext}`,
      size: kind.minSize + pick("size", kind.maxSize - kind.minSize),
      mimeType: kind.mimeType,
      etag: createHash("sha256").update(`${seed}${i}`).digest("hex").slice(0, 16),
    });
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Why a source cannot be listed, or undefined when it can. */
export function listingProblem(source: Source): string | undefined {
  const github = source.github;
  if (github?.repo === MISSING_GITHUB_REPO) {
    return `GitHub repository "${github.owner}/${github.repo}" not found or not accessible`;
  }
  return undefined;
}

/** Whether ingest jobs of this key fail (after {@link CORRUPT_OBJECT_ATTEMPTS} attempts). */
export function isCorruptKey(key: string): boolean {
  return key.includes("corrupt");
}
