import type { K3Pipeline } from "../../api/gen/index.js";
import { isK3Error, pipelinev1, type K3Client } from "../../grpc/index.js";
import { ControllerError } from "../classify.js";

/** The catalog is read again after this long (templates change rarely; a new name is looked up at once). */
export const catalogTtlMs = 10 * 60_000;

const typeChecks: Partial<Record<pipelinev1.ParameterType, { name: string; ok(v: unknown): boolean }>> = {
  [pipelinev1.ParameterType.PARAMETER_TYPE_STRING]: { name: "a string", ok: (v) => typeof v === "string" },
  [pipelinev1.ParameterType.PARAMETER_TYPE_INTEGER]: { name: "an integer", ok: (v) => typeof v === "number" && Number.isInteger(v) },
  [pipelinev1.ParameterType.PARAMETER_TYPE_NUMBER]: { name: "a number", ok: (v) => typeof v === "number" },
  [pipelinev1.ParameterType.PARAMETER_TYPE_BOOLEAN]: { name: "a boolean", ok: (v) => typeof v === "boolean" },
  [pipelinev1.ParameterType.PARAMETER_TYPE_OBJECT]: { name: "an object", ok: (v) => typeof v === "object" && v !== null && !Array.isArray(v) },
  [pipelinev1.ParameterType.PARAMETER_TYPE_ARRAY]: { name: "an array", ok: (v) => Array.isArray(v) },
};

/**
 * The problems of `parameters` against a template version's schema, one line per unknown,
 * mistyped or missing required parameter, named as the service names them
 * (`pipeline.parameters.<name>`); empty when they fit.
 */
export function parameterProblems(version: pipelinev1.TemplateVersion, parameters: Record<string, unknown>): string[] {
  const known = new Map(version.parameters.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    const spec = known.get(name);
    const check = spec ? typeChecks[spec.type] : undefined;
    if (!spec) problems.push(`pipeline.parameters.${name}: unknown parameter; version ${version.version} accepts: ${[...known.keys()].join(", ")}`);
    else if (value !== null && check && !check.ok(value)) problems.push(`pipeline.parameters.${name}: must be ${check.name}`);
  }
  for (const p of version.parameters) {
    if (p.required && (parameters[p.name] === undefined || parameters[p.name] === null)) problems.push(`pipeline.parameters.${p.name}: required by version ${version.version}`);
  }
  return problems;
}

interface Catalog {
  fetchedAt: number;
  byName: Map<string, pipelinev1.Template>;
}

/**
 * The template catalog of each connection (ListTemplates, cached, refreshed slowly; GetTemplate
 * for a name the cache does not know yet), and the check of a K3Pipeline's template and
 * parameters against it before any write: a bad parameter costs no CreatePipeline call.
 */
export class TemplateCatalogs {
  private readonly catalogs = new WeakMap<K3Client, Catalog>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The version `obj` asks for (its own, else `pinned`, else the latest); throws InvalidSpec naming what does not fit. */
  async check(k3: K3Client, obj: K3Pipeline, pinned?: string): Promise<pipelinev1.TemplateVersion> {
    const name = obj.spec.template.name;
    const template = await this.template(k3, name);
    if (!template) throw new ControllerError("invalidSpec", `pipeline.template.name: unknown template "${name}"; see ListTemplates`);
    const wanted = obj.spec.template.version || pinned || template.latestVersion;
    const version = template.versions.find((v) => v.version === wanted);
    if (!version) {
      throw new ControllerError("invalidSpec", `pipeline.template.version: template ${name} has no version "${wanted}"; versions: ${template.versions.map((v) => v.version).join(", ")}`);
    }
    const problems = parameterProblems(version, (obj.spec.parameters ?? {}));
    if (problems.length > 0) throw new ControllerError("invalidSpec", problems.join("; "));
    return version;
  }

  private async template(k3: K3Client, name: string): Promise<pipelinev1.Template | undefined> {
    let catalog = this.catalogs.get(k3);
    if (!catalog || this.now() - catalog.fetchedAt > catalogTtlMs) {
      catalog = { fetchedAt: this.now(), byName: await listAll(k3) };
      this.catalogs.set(k3, catalog);
    }
    const cached = catalog.byName.get(name);
    if (cached) return cached;
    try {
      const { template } = await k3.pipeline.getTemplate({ name });
      if (template) catalog.byName.set(name, template);
      return template;
    } catch (err) {
      if (isK3Error(err, "NotFound")) return undefined;
      throw err;
    }
  }
}

async function listAll(k3: K3Client): Promise<Map<string, pipelinev1.Template>> {
  const byName = new Map<string, pipelinev1.Template>();
  let pageToken = "";
  do {
    const page = await k3.pipeline.listTemplates({ pageSize: 100, pageToken });
    for (const t of page.templates) byName.set(t.name, t);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return byName;
}
