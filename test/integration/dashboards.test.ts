// The chart's Grafana dashboard and PrometheusRule query only metrics the operator really
// serves: both are rendered with helm, every metric name in their PromQL is looked up in the
// /metrics text of an operator that has reconciled a K3Pipeline, so neither can drift from
// src/runtime/metrics.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { freePorts } from "../../src/controlplane/ports.js";
import { helmTemplate } from "../../src/controlplane/helm.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

interface Rendered { kind: string; data?: Record<string, string>; spec?: { groups: { rules: { alert: string; expr: string }[] }[] } }
interface Panel { title: string; targets: { expr: string }[] }

/** Names the /metrics text declares, with the series names of histograms and summaries. */
function servedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Metric names in a PromQL expression: ours all start with k3_ (or are process/nodejs metrics). */
const metricsIn = (expr: string): string[] => [...expr.matchAll(/\b(?:k3|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]);

describe("dashboard and alerts", () => {
  let service: TestService;
  let operator: RunningOperator;
  let queries: { where: string; expr: string }[];
  let served: Set<string>;

  beforeAll(async () => {
    const rendered = parseAllDocuments(await helmTemplate({
      chartDir: "deploy/helm/k3-operator", release: "dash", namespace: "monitoring",
      set: { "grafanaDashboard.enabled": "true", "prometheusRule.enabled": "true" },
    })).map((d) => d.toJS() as Rendered).filter(Boolean);
    const dashboard = JSON.parse(rendered.find((r) => r.kind === "ConfigMap" && r.data?.["k3-operator.json"])!.data!["k3-operator.json"]!) as { panels: Panel[] };
    const rule = rendered.find((r) => r.kind === "PrometheusRule")!;
    queries = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
      ...rule.spec!.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ];

    await installCrds();
    const namespace = (await namespacePool("dashboards", 1)).names[0]!;
    service = await startTestService("dashboards");
    const [port] = await freePorts(1);
    operator = await startTestOperator(service, ["--namespaces", namespace, "--metrics-port", String(port)]);
    await kubectlOk(["apply", "-f", "-"], {
      input: stringify({
        apiVersion: "k3.dodil.io/v1alpha1", kind: "K3Pipeline", metadata: { name: "measured", namespace },
        spec: { template: { name: "document-chunker" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: {} }] },
      }),
    });
    await eventually(async () => expect(conditionOf(await getObject("k3pipeline", namespace, "measured"), "Ready")?.status).toBe("True"));
    served = servedNames(await (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text());
  });
  afterAll(async () => {
    await operator?.stop();
    await service?.emulator.stop();
  });

  it("renders a dashboard with panels and a rule with alerts, every query naming a metric", () => {
    expect(queries.filter((q) => q.where.startsWith("panel")).length).toBeGreaterThanOrEqual(8);
    expect(queries.filter((q) => q.where.startsWith("alert")).length).toBeGreaterThanOrEqual(4);
    for (const { where, expr } of queries) expect(metricsIn(expr), where).not.toEqual([]);
  });

  it("queries only metrics the operator serves", () => {
    const missing = queries.flatMap(({ where, expr }) => metricsIn(expr).filter((name) => !served.has(name)).map((name) => `${where}: ${name}`));
    expect(missing).toEqual([]);
  });

  it("the served names were read from a real /metrics (histograms expanded)", () => {
    expect(served.has("k3_reconcile_total")).toBe(true);
    expect(served.has("k3_reconcile_duration_seconds_bucket")).toBe(true);
  });
});
