// The Helm chart, proven: it lints, renders a Deployment whose flags the operator accepts and
// whose probes answer, the plain manifests install, and the rendered RBAC is exactly enough
// for the operator (run in-process as the chart's ServiceAccount, with leader election) to
// make a K3Pipeline Ready, record its events and remove its finalizer — and no more.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfig, type OperatorConfig } from "../../src/config.js";
import { freePorts } from "../../src/controlplane/ports.js";
import { helmLint, helmTemplate } from "../../src/controlplane/helm.js";
import { startOperator } from "../../src/operator.js";
import { kubectl, kubectlOk, kubeTest, namespaceName, serviceAccountKubeconfig } from "../support/kube.js";
import { runHealthScript } from "../support/lua.js";
import { conditionOf, eventually, getObject, installCrds, startTestService, type TestService } from "../support/operator.js";

const chartDir = "deploy/helm/k3-operator";

/** The slice of a rendered manifest these tests read. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

interface Probe {
  httpGet: { path: string; port: string | number };
}

interface Container {
  name: string;
  args: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  volumeMounts: { name: string; mountPath: string }[];
}

interface Deployment extends Manifest {
  spec: {
    strategy?: { type: string };
    template: { spec: { serviceAccountName: string; containers: Container[]; volumes: { name: string; secret?: { secretName: string } }[] } };
  };
}

/** A `--set` variant of the chart and what the operator must read from its render. */
interface ValuesCase {
  reason: string;
  set: Record<string, string>;
  expected: Partial<OperatorConfig>;
}

function manifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

function only<T extends Manifest>(docs: Manifest[], kind: string): T {
  const found = docs.filter((doc) => doc.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0] as T;
}

function operatorContainer(docs: Manifest[]): Container {
  const container = only<Deployment>(docs, "Deployment").spec.template.spec.containers.find((c) => c.name === "operator");
  if (!container) throw new Error("the Deployment has no operator container");
  return container;
}

/** The environment the chart gives the container, as far as the operator reads it. */
function podEnv(container: Container, namespace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of container.env ?? []) {
    if (entry.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[entry.name] = namespace;
  }
  return env;
}

describe("the Helm chart", () => {
  it("passes helm lint --strict", async () => {
    expect(await helmLint(chartDir)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("renders a Deployment the operator runs with: every flag accepted, probes on the metrics port", async () => {
    const docs = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system" }));
    const container = operatorContainer(docs);
    // loadConfig parses strictly: an unknown or misspelt flag throws here.
    const config = loadConfig(container.args, podEnv(container, "k3-system"));
    expect(config).toMatchObject({
      k3Endpoint: "k3-grpc.dodil.io:443",
      k3Insecure: false,
      namespaces: [],
      workers: 4,
      resyncPeriodMs: 600_000,
      leaderElection: true,
      leaderElectionNamespace: "k3-system",
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      logLevel: "info",
      metricsPort: 8080,
      k3Qps: 20,
    });

    const metricsPort = container.ports.find((p) => p.name === "metrics");
    expect(metricsPort?.containerPort).toBe(config.metricsPort);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });

    const tokenMount = container.volumeMounts.find((m) => config.k3TokenFile.startsWith(`${m.mountPath}/`));
    expect(tokenMount?.name, "--k3-token-file lies inside a mounted volume").toBe("token");
    const deployment = only<Deployment>(docs, "Deployment");
    expect(deployment.spec.template.spec.volumes.find((v) => v.name === "token")?.secret?.secretName).toBe("k3-operator-token");
    expect(deployment.spec.template.spec.serviceAccountName).toBe(only(docs, "ServiceAccount").metadata.name);
    // A standby replica reports ready, so the default rolling update can finish.
    expect(deployment.spec.strategy).toBeUndefined();
  });

  it.each<ValuesCase>([
    {
      reason: "plaintext gRPC to an emulator",
      set: { "k3.insecure": "true", "k3.endpoint": "k3-emulator.k3-system:50051" },
      expected: { k3Insecure: true, k3Endpoint: "k3-emulator.k3-system:50051" },
    },
    { reason: "a watched namespace list", set: { "watchNamespaces[0]": "team-a", "watchNamespaces[1]": "team-b" }, expected: { namespaces: ["team-a", "team-b"] } },
    { reason: "tuning", set: { workers: "8", resyncPeriod: "90s", logLevel: "debug", "k3.qps": "5", "metrics.port": "9090" }, expected: { workers: 8, resyncPeriodMs: 90_000, logLevel: "debug", k3Qps: 5, metricsPort: 9090 } },
    { reason: "leader election off", set: { "leaderElection.enabled": "false" }, expected: { leaderElection: false } },
    {
      reason: "plaintext connection Secrets allowed and a custom CA",
      set: { "k3.allowInsecureConnections": "true", "k3.caSecret": "k3-ca" },
      expected: { allowInsecureConnections: true, k3CaFile: "/var/run/k3-operator-ca/ca.crt" },
    },
    {
      reason: "lease timings",
      set: { "leaderElection.leaseDuration": "30s", "leaderElection.renewDeadline": "20s", "leaderElection.retryPeriod": "4s" },
      expected: { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 4_000 },
    },
  ])("renders flags the operator accepts for $reason", async ({ set, expected }) => {
    const docs = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set }));
    const container = operatorContainer(docs);
    expect(loadConfig(container.args, podEnv(container, "k3-system"))).toMatchObject(expected);
  });

  it("leaves the leader-election Role out when leader election is off", async () => {
    const docs = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set: { "leaderElection.enabled": "false" } }));
    expect(docs.map((doc) => doc.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"]);
    expect(only<Deployment>(docs, "Deployment").spec.strategy).toBeUndefined();
  });

  it.each<{ reason: string; set?: Record<string, string>; setString?: Record<string, string>; message: RegExp }>([
    { reason: 'a string "false" for a boolean', setString: { "leaderElection.enabled": "false" }, message: /leaderElection\/enabled.*want boolean/ },
    { reason: "a string for k3.insecure", setString: { "k3.insecure": "true" }, message: /k3\/insecure.*want boolean/ },
    { reason: "workers: 0", set: { workers: "0" }, message: /workers.*minimum/ },
    { reason: "a duration without a unit", set: { resyncPeriod: "600" }, message: /resyncPeriod/ },
    { reason: "a misspelt key", set: { worker: "3" }, message: /additional properties 'worker' not allowed/ },
    { reason: "a shard name that is no label value", set: { "shards[0]": "Team_A" }, message: /shards\/0.*does not match pattern/ },
    { reason: "the same shard twice", set: { "shards[0]": "a", "shards[1]": "a" }, message: /'\/shards': items at 0 and 1 are equal/ },
  ])("values.schema.json refuses $reason", async ({ set, setString, message }) => {
    await expect(helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set, setString })).rejects.toThrow(message);
  });

  it("with watchNamespaces, renders a Role and RoleBinding per namespace with the ClusterRole's rules, and no cluster-wide access", async () => {
    const clusterWide = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system" }));
    const namespaced = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set: { "watchNamespaces[0]": "team-a", "watchNamespaces[1]": "team-b" } }));
    expect(namespaced.filter((doc) => doc.kind.startsWith("Cluster"))).toEqual([]);
    type Role = Manifest & { rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[] };
    type Binding = Manifest & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    const roles = namespaced.filter((doc): doc is Role => doc.kind === "Role" && !doc.metadata.name.endsWith("-leader-election"));
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(["team-a", "team-b"]);
    for (const role of roles) expect(role.rules).toEqual(only<Role>(clusterWide, "ClusterRole").rules);
    const bindings = namespaced.filter((doc): doc is Binding => doc.kind === "RoleBinding" && !doc.metadata.name.endsWith("-leader-election"));
    expect(bindings.map((b) => [b.metadata.namespace, b.roleRef.kind, b.roleRef.name, b.subjects[0]?.namespace])).toEqual([
      ["team-a", "Role", "k3-operator", "k3-system"],
      ["team-b", "Role", "k3-operator", "k3-system"],
    ]);
  });

  it("with shards, renders one more Deployment per shard: its own pods, --shard, the same ServiceAccount, and its Lease in the Role", async () => {
    const docs = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set: { "shards[0]": "a", "shards[1]": "b" } }));
    const deployments = docs.filter((doc): doc is Deployment => doc.kind === "Deployment");
    expect(deployments.map((d) => d.metadata.name)).toEqual(["k3-operator", "k3-operator-shard-a", "k3-operator-shard-b"]);
    type Selected = Deployment & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } };
    const selects = (d: Selected, labels: Record<string, string>): boolean => Object.entries(d.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
    const shardsSeen = deployments.map((d) => {
      const container = d.spec.template.spec.containers.find((c) => c.name === "operator")!;
      expect(d.spec.template.spec.serviceAccountName).toBe("k3-operator");
      return loadConfig(container.args, podEnv(container, "k3-system")).shard;
    });
    expect(shardsSeen).toEqual(["", "a", "b"]);
    // A shard Deployment selects its own pods only (the main one keeps its selector, unchanged for upgrades).
    const [main, a, b] = deployments as Selected[];
    expect(selects(a!, b!.spec.template.metadata.labels) || selects(b!, a!.spec.template.metadata.labels) || selects(a!, main!.spec.template.metadata.labels)).toBe(false);
    type Role = Manifest & { rules: { resourceNames?: string[] }[] };
    const leaseRole = docs.find((doc): doc is Role => doc.kind === "Role" && doc.metadata.name.endsWith("-leader-election"));
    expect(leaseRole?.rules[0]?.resourceNames).toEqual(["k3-operator", "k3-operator-a", "k3-operator-b"]);
  });

  it("mounts the token 0400, readable through fsGroup only", async () => {
    const deployment = only<Deployment>(manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system" })), "Deployment");
    const pod = deployment.spec.template.spec as unknown as { securityContext: { fsGroup: number; runAsUser: number }; volumes: { name: string; secret: { defaultMode: number; items: { mode: number }[] } }[] };
    const token = pod.volumes.find((v) => v.name === "token")!.secret;
    expect([token.defaultMode, ...token.items.map((i) => i.mode)]).toEqual([0o400, 0o400]);
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsUser);
  });

  it("renders a PodDisruptionBudget, a metrics Service, an optional ServiceMonitor and a NetworkPolicy for the operator's pods", async () => {
    const docs = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set: { "metrics.serviceMonitor.enabled": "true" } }));
    const selector = (only<Deployment>(docs, "Deployment").spec as unknown as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(only(docs, "PodDisruptionBudget")).toMatchObject({ spec: { maxUnavailable: 1, selector: { matchLabels: selector } } });
    expect(only(docs, "Service")).toMatchObject({ spec: { selector, ports: [{ name: "metrics", port: 8080, targetPort: "metrics" }] } });
    expect(only(docs, "ServiceMonitor")).toMatchObject({ spec: { selector: { matchLabels: selector }, endpoints: [{ port: "metrics", path: "/metrics" }] } });
    type Policy = Manifest & { spec: { podSelector: unknown; policyTypes: string[]; ingress: unknown[]; egress: { ports: { port: number }[] }[] } };
    const policy = only<Policy>(docs, "NetworkPolicy");
    expect(policy.spec.podSelector).toEqual({ matchLabels: selector });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: "metrics", protocol: "TCP" }], from: [{ podSelector: {} }] }]);
    expect(policy.spec.egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([[53, 53], [443, 6443], [443]]);
    const narrowed = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system", set: { "networkPolicy.apiServer.cidrs[0]": "10.0.0.1/32" } }));
    expect(only<Policy>(narrowed, "NetworkPolicy").spec.egress[1]).toMatchObject({ to: [{ ipBlock: { cidr: "10.0.0.1/32" } }] });
    expect(docs.filter((doc) => doc.kind === "ServiceMonitor")).toHaveLength(1);
    const plain = manifests(await helmTemplate({ chartDir, release: "k3-operator", namespace: "k3-system" }));
    expect(plain.filter((doc) => doc.kind === "ServiceMonitor")).toHaveLength(0);
  });
});

describe("deploy/manifests/k3-operator.yaml", () => {
  const docs = manifests(readFileSync("deploy/manifests/k3-operator.yaml", "utf8"));
  const clusterScoped = new Set(["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]);

  it("holds the namespace, the CRDs of crds/ and the chart's objects, all in k3-system", () => {
    expect(only(docs, "Namespace").metadata.name).toBe("k3-system");
    const crds = docs.filter((doc) => doc.kind === "CustomResourceDefinition").map((doc) => doc.metadata.name).sort();
    expect(crds).toEqual(["k3ingestjobs.k3.dodil.io", "k3ingestrules.k3.dodil.io", "k3pipelines.k3.dodil.io", "k3sources.k3.dodil.io"]);
    for (const doc of docs.filter((d) => !clusterScoped.has(d.kind))) {
      expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe("k3-system");
    }
  });

  it("is accepted whole by a real apiserver", async () => {
    // Server-side dry run validates every object against the live schemas; the namespace
    // must exist for the namespaced ones, so it is created first (nothing else here uses it).
    await kubectlOk(["apply", "--server-side", "-f", "-"], { input: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: k3-system\n" });
    const out = await kubectlOk(["apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "deploy/manifests/k3-operator.yaml"]);
    expect(out).toMatch(/deployment\.apps\/k3-operator serverside-applied \(server dry run\)/);
    expect(out).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/k3-operator serverside-applied \(server dry run\)/);
  });
});

describe("the chart's RBAC on a real apiserver", () => {
  let service: TestService;

  beforeAll(async () => {
    await installCrds();
    service = await startTestService("helm-chart");
  });

  afterAll(async () => {
    await service?.emulator.stop();
  });

  kubeTest("is all the operator needs, with leader election, and no more", { timeout: 120_000 }, async ({ namespace, onTestFinished }) => {
    // A release name of its own: the ClusterRole and its binding are cluster-wide.
    const release = `k3op-${randomBytes(3).toString("hex")}`;
    const docs = manifests(await helmTemplate({ chartDir, release, namespace }));
    const accountName = only(docs, "ServiceAccount").metadata.name;
    const rbac = docs.filter((doc) => ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"].includes(doc.kind));
    expect(rbac.map((doc) => doc.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"]);
    onTestFinished(async () => {
      await kubectl(["delete", "clusterrolebinding,clusterrole", accountName, "--ignore-not-found", "--wait=false"]);
    });
    await kubectlOk(["apply", "-f", "-"], { input: rbac.map((doc) => JSON.stringify(doc)).join("\n---\n") });

    const appNamespace = namespaceName("helm-chart-app");
    await kubectlOk(["create", "namespace", appNamespace]);
    onTestFinished(async () => {
      await kubectl(["delete", "namespace", appNamespace, "--wait=false"]);
    });

    const as = `system:serviceaccount:${namespace}:${accountName}`;
    // "kind/name" names one object; "kind#sub" a subresource (kubectl would read "kind/status" as an object named status).
    const canI = async (verb: string, resource: string, ns: string): Promise<string> => {
      const [kind, sub] = resource.split("#");
      const args = ["auth", "can-i", verb, kind!, "-n", ns, "--as", as, ...(sub ? ["--subresource", sub] : [])];
      return (await kubectl(args)).stdout.trim();
    };
    const expectations: [verb: string, resource: string, ns: string, answer: "yes" | "no"][] = [
      ["watch", "k3pipelines.k3.dodil.io", appNamespace, "yes"],
      ["patch", "k3pipelines.k3.dodil.io#status", appNamespace, "yes"],
      ["update", "k3sources.k3.dodil.io#finalizers", appNamespace, "yes"],
      ["list", "secrets", appNamespace, "yes"],
      ["create", "events", appNamespace, "yes"],
      ["update", "leases.coordination.k8s.io/k3-operator", namespace, "yes"],
      ["get", "leases.coordination.k8s.io/k3-operator", namespace, "yes"],
      ["create", "leases.coordination.k8s.io", namespace, "yes"],
      ["delete", "k3ingestjobs.k3.dodil.io", appNamespace, "yes"],
      ["patch", "k3ingestrules.k3.dodil.io#finalizers", appNamespace, "yes"],
      ["get", `namespaces/${appNamespace}`, "", "yes"],
      // ...and nothing else:
      ["update", "leases.coordination.k8s.io/another-lease", namespace, "no"],
      ["patch", "leases.coordination.k8s.io/k3-operator", namespace, "no"],
      ["list", "leases.coordination.k8s.io", namespace, "no"],
      ["get", "k3pipelines.k3.dodil.io#status", appNamespace, "no"],
      ["delete", "k3ingestjobs.k3.dodil.io#status", appNamespace, "no"],
      ["create", "events.events.k8s.io", appNamespace, "no"],
      ["create", "k3pipelines.k3.dodil.io", appNamespace, "no"],
      ["delete", "k3pipelines.k3.dodil.io", appNamespace, "no"],
      ["delete", "secrets", appNamespace, "no"],
      ["create", "secrets", appNamespace, "no"],
      ["list", "pods", appNamespace, "no"],
      ["list", "namespaces", "", "no"],
      ["delete", `namespaces/${appNamespace}`, "", "no"],
      ["list", "configmaps", appNamespace, "no"],
      ["update", "leases.coordination.k8s.io", appNamespace, "no"],
      ["delete", "customresourcedefinitions.apiextensions.k8s.io", appNamespace, "no"],
    ];
    const answers = await Promise.all(expectations.map(([verb, resource, ns]) => canI(verb, resource, ns)));
    expect(expectations.map(([verb, resource, ns], i) => `${verb} ${resource} in ${ns === namespace ? "release" : "app"} ns: ${answers[i]}`)).toEqual(
      expectations.map(([verb, resource, ns, answer]) => `${verb} ${resource} in ${ns === namespace ? "release" : "app"} ns: ${answer}`),
    );

    // The operator exactly as the chart runs it (its args and POD_NAMESPACE), pointed at the
    // emulator, authenticated as the chart's ServiceAccount.
    const container = operatorContainer(docs);
    const [metricsPort] = await freePorts(1);
    const config = loadConfig(
      [
        ...container.args,
        "--kubeconfig", await serviceAccountKubeconfig({ namespace, name: accountName }),
        "--k3-endpoint", service.emulator.address,
        "--k3-insecure",
        "--k3-token-file", service.tokenFile,
        "--metrics-port", String(metricsPort),
      ],
      podEnv(container, namespace),
    );
    expect(config).toMatchObject({ leaderElection: true, leaderElectionNamespace: namespace });
    const operator = await startOperator(config, pino({ level: process.env.K3_TEST_LOG ?? "silent" }));
    onTestFinished(() => operator.stop());
    const probe = async (path: string): Promise<number> => (await fetch(`http://127.0.0.1:${operator.port}${path}`)).status;
    expect(await probe("/healthz")).toBe(200);

    await kubectlOk(["apply", "-n", appNamespace, "-f", "examples/k3pipeline.yaml"]);
    const pipeline = await eventually(async () => {
      const obj = await getObject<Record<string, unknown> & { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }>(
        "k3pipeline", appNamespace, "doc-chunker",
      );
      expect(conditionOf(obj, "Ready")).toMatchObject({ status: "True" });
      return obj;
    }, 60_000);
    // Each controller starts once its own caches synced; /readyz waits for every cache (a list
    // that met the apiserver still initialising a new CRD's storage retries a moment later).
    await eventually(async () => expect(await probe("/readyz")).toBe(200));
    // The Argo CD health script reads the operator's real status the same way.
    expect(runHealthScript(readFileSync("deploy/argocd/health.lua", "utf8"), pipeline).status).toBe("Healthy");

    const lease = JSON.parse(await kubectlOk(["get", "lease", "k3-operator", "-n", namespace, "-o", "json"])) as { spec?: { holderIdentity?: string } };
    expect(lease.spec?.holderIdentity).toMatch(/_\d+_[0-9a-f]{6}$/);

    // A second replica waits for the Lease, and is ready meanwhile (rolling updates finish).
    const [standbyPort] = await freePorts(1);
    const standby = await startOperator({ ...config, metricsPort: standbyPort! }, pino({ level: "silent" }));
    onTestFinished(() => standby.stop());
    expect((await fetch(`http://127.0.0.1:${standby.port}/readyz`)).status).toBe(200);
    const holder = (JSON.parse(await kubectlOk(["get", "lease", "k3-operator", "-n", namespace, "-o", "json"])) as typeof lease).spec?.holderIdentity;
    expect(holder).toBe(lease.spec?.holderIdentity);

    await eventually(async () => {
      const events = JSON.parse(
        await kubectlOk(["get", "events", "-n", appNamespace, "--field-selector", "involvedObject.kind=K3Pipeline,involvedObject.name=doc-chunker", "-o", "json"]),
      ) as { items: { type: string; reason: string }[] };
      expect(events.items.filter((e) => e.type === "Normal").map((e) => e.reason)).toContain("Created");
    });

    // Removing the finalizer on delete is within the Role too: the deletion completes.
    await kubectlOk(["delete", "k3pipeline", "doc-chunker", "-n", appNamespace, "--timeout=60s"]);
    expect((await kubectl(["get", "k3pipeline", "doc-chunker", "-n", appNamespace])).exitCode).not.toBe(0);
  });
});

describe("the chart's namespaced RBAC (watchNamespaces) on a real apiserver", () => {
  let service: TestService;

  beforeAll(async () => {
    await installCrds();
    service = await startTestService("helm-chart-namespaced");
  });

  afterAll(async () => {
    await service?.emulator.stop();
  });

  kubeTest("is enough in the watched namespace and grants nothing outside it", { timeout: 120_000 }, async ({ namespace, onTestFinished }) => {
    const appNamespace = namespaceName("helm-ns-app");
    const otherNamespace = namespaceName("helm-ns-other");
    for (const ns of [appNamespace, otherNamespace]) {
      await kubectlOk(["create", "namespace", ns]);
      onTestFinished(async () => {
        await kubectl(["delete", "namespace", ns, "--wait=false"]);
      });
    }
    const release = `k3ns-${randomBytes(3).toString("hex")}`;
    const docs = manifests(await helmTemplate({ chartDir, release, namespace, set: { "watchNamespaces[0]": appNamespace } }));
    const rbac = docs.filter((doc) => ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"].includes(doc.kind));
    expect(rbac.map((doc) => `${doc.kind} ${doc.metadata.namespace === namespace ? "release" : "app"}`).sort()).toEqual([
      "Role app", "Role release", "RoleBinding app", "RoleBinding release", "ServiceAccount release",
    ]);
    await kubectlOk(["apply", "-f", "-"], { input: rbac.map((doc) => JSON.stringify(doc)).join("\n---\n") });
    const accountName = only(docs, "ServiceAccount").metadata.name;

    const as = `system:serviceaccount:${namespace}:${accountName}`;
    const canI = async (verb: string, resource: string, where: string[]): Promise<string> => (await kubectl(["auth", "can-i", verb, resource, ...where, "--as", as])).stdout.trim();
    const expectations: [verb: string, resource: string, where: string[], answer: "yes" | "no"][] = [
      ["get", "secrets", ["-n", appNamespace], "yes"],
      ["watch", "secrets", ["-n", appNamespace], "yes"],
      ["watch", "k3sources.k3.dodil.io", ["-n", appNamespace], "yes"],
      ["create", "events", ["-n", appNamespace], "yes"],
      ["get", "secrets", ["-n", otherNamespace], "no"],
      ["list", "secrets", ["--all-namespaces"], "no"],
      ["get", "secrets", ["-n", namespace], "no"],
      ["watch", "k3sources.k3.dodil.io", ["-n", otherNamespace], "no"],
      ["list", "k3pipelines.k3.dodil.io", ["--all-namespaces"], "no"],
    ];
    const answers = await Promise.all(expectations.map(([verb, resource, where]) => canI(verb, resource, where)));
    expect(expectations.map(([verb, resource, where], i) => `${verb} ${resource} ${where.join(" ")}: ${answers[i]}`)).toEqual(
      expectations.map(([verb, resource, where, answer]) => `${verb} ${resource} ${where.join(" ")}: ${answer}`),
    );

    // The operator as the chart runs it (--namespaces from watchNamespaces), with the namespaced ServiceAccount's token.
    const container = operatorContainer(docs);
    const [metricsPort] = await freePorts(1);
    const config = loadConfig(
      [
        ...container.args,
        "--kubeconfig", await serviceAccountKubeconfig({ namespace, name: accountName }),
        "--k3-endpoint", service.emulator.address,
        "--k3-insecure",
        "--k3-token-file", service.tokenFile,
        "--metrics-port", String(metricsPort),
      ],
      podEnv(container, namespace),
    );
    expect(config.namespaces).toEqual([appNamespace]);
    const operator = await startOperator(config, pino({ level: process.env.K3_TEST_LOG ?? "silent" }));
    onTestFinished(() => operator.stop());
    // A source reads its credential Secret (a GET under the Role), a pipeline is created and gets its events.
    await kubectlOk(["apply", "-n", appNamespace, "-f", "examples/k3source-s3.yaml", "-f", "examples/k3pipeline.yaml"]);
    for (const [kind, name] of [["k3source", "reports-bucket"], ["k3pipeline", "doc-chunker"]] as const) {
      await eventually(async () => expect(conditionOf(await getObject(kind, appNamespace, name), "Ready")?.status, `${kind}/${name}`).toBe("True"), 60_000);
    }
    expect(operator.secrets.heldKeys()).toEqual([`${appNamespace}/reports-bucket-credentials`]);
    await kubectlOk(["delete", "k3pipeline", "doc-chunker", "-n", appNamespace, "--timeout=60s"]);
  });
});
