// The image e2e runs the operator "as the chart does": each pod-spec field it translates into
// `docker run` flags, and each it refuses, with the reason a case exists.
import { describe, expect, it } from "vitest";
import { memoryBytes, planContainer, serviceAccountMountPath, type DeploymentSpec, type PodContext } from "../../scripts/e2e/chart-pod.js";

/** The chart's Deployment as `helm template --set hostNetwork=true` renders it (trimmed). */
function chartDeployment(): DeploymentSpec {
  return {
    kind: "Deployment",
    spec: {
      template: {
        spec: {
          hostNetwork: true,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name: "operator",
            image: "k3-operator:e2e",
            args: ["--k3-token-file=/var/run/k3-operator/token", "--metrics-port=8080"],
            env: [{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
            ports: [{ name: "metrics", containerPort: 8080 }],
            livenessProbe: { httpGet: { path: "/healthz", port: "metrics" } },
            readinessProbe: { httpGet: { path: "/readyz", port: "metrics" } },
            volumeMounts: [{ name: "token", mountPath: "/var/run/k3-operator", readOnly: true }],
            resources: { limits: { memory: "512Mi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          }],
          volumes: [{ name: "token", secret: { secretName: "k3-operator-token", items: [{ key: "token", path: "token" }] } }],
        },
      },
    },
  };
}

const context: PodContext = {
  namespace: "k3-system",
  podName: "op-1",
  imageUser: "65532:65532",
  secrets: { "k3-operator-token": { token: "jwt", other: "not mounted" } },
  apiserver: { host: "127.0.0.1", port: 6443 },
  serviceAccount: { token: "sa-token", caCrt: "CA" },
};

/** Flags as `name value` pairs (or `name` alone), for order-insensitive comparison. */
function pairs(flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] ?? "";
    const next = flags[i + 1];
    if (next !== undefined && !next.startsWith("--") && !["--read-only", "--privileged"].includes(flag)) {
      out.push(`${flag} ${next}`);
      i++;
    } else out.push(flag);
  }
  return out.sort();
}

describe("planContainer", () => {
  it("translates the chart's hardening, environment, token volume, memory limit and probes", () => {
    const plan = planContainer(chartDeployment(), "operator", context);
    expect(pairs(plan.flags)).toEqual([
      "--cap-drop ALL",
      "--env KUBERNETES_SERVICE_HOST=127.0.0.1",
      "--env KUBERNETES_SERVICE_PORT=6443",
      "--env POD_NAMESPACE=k3-system",
      "--memory 536870912",
      "--network host",
      "--read-only",
      "--security-opt no-new-privileges",
      "--user 65532:65532",
    ]);
    expect(plan.image).toBe("k3-operator:e2e");
    expect(plan.args).toEqual(["--k3-token-file=/var/run/k3-operator/token", "--metrics-port=8080"]);
    expect(plan.volumes).toEqual([
      { name: "token", mountPath: "/var/run/k3-operator", readOnly: true, files: { token: "jwt" } },
      { name: "kube-api-access", mountPath: serviceAccountMountPath, readOnly: true, files: { token: "sa-token", "ca.crt": "CA", namespace: "k3-system" } },
    ]);
    expect(plan.probes).toEqual([{ kind: "liveness", path: "/healthz", port: 8080 }, { kind: "readiness", path: "/readyz", port: 8080 }]);
  });

  it.each([
    {
      reason: "a container's own settings win over the pod's, and runAsGroup over the image's group",
      edit: (d: DeploymentSpec) => Object.assign(d.spec.template.spec.containers[0]!.securityContext!, { runAsUser: 1000, runAsGroup: 2000 }),
      expected: "--user 1000:2000",
    },
    {
      reason: "without runAsUser the image's USER is kept",
      edit: (d: DeploymentSpec) => delete d.spec.template.spec.securityContext!.runAsUser,
      expected: "--user 65532:65532",
    },
    {
      reason: "added capabilities are added",
      edit: (d: DeploymentSpec) => (d.spec.template.spec.containers[0]!.securityContext!.capabilities!.add = ["NET_BIND_SERVICE"]),
      expected: "--cap-add NET_BIND_SERVICE",
    },
    {
      reason: "a plain env value is passed as is",
      edit: (d: DeploymentSpec) => d.spec.template.spec.containers[0]!.env!.push({ name: "LOG_LEVEL", value: "debug" }),
      expected: "--env LOG_LEVEL=debug",
    },
  ])("$reason", ({ edit, expected }) => {
    const deployment = chartDeployment();
    edit(deployment);
    expect(pairs(planContainer(deployment, "operator", context).flags)).toContain(expected);
  });

  it("leaves out the ServiceAccount token when the pod opts out of it", () => {
    const deployment = chartDeployment();
    deployment.spec.template.spec.automountServiceAccountToken = false;
    expect(planContainer(deployment, "operator", context).volumes.map((v) => v.name)).toEqual(["token"]);
  });

  it.each([
    { reason: "the pod is off the host network (the control plane listens on loopback)", edit: (d: DeploymentSpec) => (d.spec.template.spec.hostNetwork = false), error: /host network/ },
    { reason: "runAsNonRoot with a root user", edit: (d: DeploymentSpec) => (d.spec.template.spec.securityContext!.runAsUser = 0), error: /runAsNonRoot/ },
    { reason: "a seccomp profile Docker would not apply", edit: (d: DeploymentSpec) => (d.spec.template.spec.securityContext!.seccompProfile = { type: "Unconfined" }), error: /seccomp/ },
    { reason: "an env source it does not know", edit: (d: DeploymentSpec) => d.spec.template.spec.containers[0]!.env!.push({ name: "X", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }), error: /env X/ },
    { reason: "a Secret key the data lacks", edit: (d: DeploymentSpec) => (d.spec.template.spec.volumes![0]!.secret!.items = [{ key: "missing", path: "token" }]), error: /no key missing/ },
    { reason: "a probe on a port name no container port has", edit: (d: DeploymentSpec) => (d.spec.template.spec.containers[0]!.ports = []), error: /no container port named metrics/ },
  ])("refuses $reason", ({ edit, error }) => {
    const deployment = chartDeployment();
    edit(deployment);
    expect(() => planContainer(deployment, "operator", context)).toThrow(error);
  });

  it("refuses a container name the Deployment lacks", () => {
    expect(() => planContainer(chartDeployment(), "sidecar", context)).toThrow(/no container "sidecar"/);
  });
});

describe("memoryBytes", () => {
  it.each([
    { quantity: "512Mi", bytes: 512 * 1024 ** 2 },
    { quantity: "1Gi", bytes: 1024 ** 3 },
    { quantity: "128M", bytes: 128e6 },
    { quantity: "1.5Gi", bytes: 1.5 * 1024 ** 3 },
    { quantity: "1000", bytes: 1000 },
  ])("$quantity is $bytes bytes", ({ quantity, bytes }) => {
    expect(memoryBytes(quantity)).toBe(bytes);
  });

  it("rejects a quantity it cannot read rather than guessing", () => {
    expect(() => memoryBytes("512m")).toThrow(/unsupported/);
  });
});
