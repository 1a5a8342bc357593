// How the image e2e runs a container "as the chart does": the rendered Deployment's pod spec
// translated into `docker run` flags — user, read-only root, capabilities, privilege
// escalation, host network, environment, Secret volumes, memory limit, probes — so that a
// change to the chart's hardening changes the e2e with it, and a hardening Docker cannot
// express fails loudly instead of being skipped.

/** The slice of a container spec this translation reads. */
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { limits?: { memory?: string; cpu?: string } };
  securityContext?: ContainerSecurity;
}

/** An HTTP probe. */
export interface Probe {
  httpGet?: { path: string; port: string | number };
}

/** Security settings of a container or a pod (the fields they share). */
export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

/** The slice of a Deployment this translation reads. */
export interface DeploymentSpec {
  kind: string;
  spec: {
    template: {
      spec: {
        hostNetwork?: boolean;
        automountServiceAccountToken?: boolean;
        securityContext?: ContainerSecurity;
        containers: ContainerSpec[];
        volumes?: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
      };
    };
  };
}

/** What the pod would see of the cluster, supplied by the caller. */
export interface PodContext {
  namespace: string;
  podName: string;
  /** The image's own `USER` (`uid[:gid]`): Kubernetes keeps the image's group when the spec names none. */
  imageUser: string;
  /** Data of the Secrets the pod mounts, by Secret name and key. */
  secrets: Record<string, Record<string, string>>;
  /** The apiserver as in-cluster clients find it (KUBERNETES_SERVICE_HOST/PORT). */
  apiserver: { host: string; port: number };
  /** Files of the projected ServiceAccount token volume. */
  serviceAccount: { token: string; caCrt: string };
}

/** A folder of files to bind-mount into the container. */
export interface VolumePlan {
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** Relative path → content. */
  files: Record<string, string>;
}

/** A container of the pod, ready to become `docker run` arguments. */
export interface ContainerPlan {
  image: string;
  /** `docker run` flags, without the volume flags (those need the caller's host folders). */
  flags: string[];
  volumes: VolumePlan[];
  /** Arguments after the image. */
  args: string[];
  /** The memory limit in bytes, if any. */
  memoryLimitBytes?: number;
  /** Probe paths with the host port they are reached on (host network: the container port). */
  probes: { kind: "liveness" | "readiness"; path: string; port: number }[];
}

/** Where in-cluster Kubernetes clients read their ServiceAccount token, CA and namespace. */
export const serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

const quantityUnits: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** Parses a Kubernetes memory quantity (`512Mi`, `1G`, `1000000`) into bytes. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(|k|M|G|Ki|Mi|Gi)$/.exec(quantity.trim());
  if (!match) throw new Error(`unsupported memory quantity "${quantity}"`);
  return Math.round(Number(match[1]) * (quantityUnits[match[2] ?? ""] ?? 1));
}

/**
 * Translates the Deployment's container `name` into a {@link ContainerPlan}. Throws on what
 * Docker cannot do as the kubelet would (a root user with runAsNonRoot, a pod off the host
 * network — the e2e reaches a loopback control plane — or an unknown env source).
 */
export function planContainer(deployment: DeploymentSpec, name: string, context: PodContext): ContainerPlan {
  if (deployment.kind !== "Deployment") throw new Error(`expected a Deployment, got ${deployment.kind}`);
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === name);
  if (!container) throw new Error(`the Deployment has no container "${name}"`);
  if (pod.hostNetwork !== true) throw new Error("the pod must use the host network here (chart value hostNetwork=true): the control plane listens on loopback");
  const flags: string[] = ["--network", "host", ...securityFlags({ ...pod.securityContext, ...container.securityContext }, context.imageUser)];
  for (const [key, value] of Object.entries(environment(container, context))) flags.push("--env", `${key}=${value}`);
  const memoryLimitBytes = container.resources?.limits?.memory ? memoryBytes(container.resources.limits.memory) : undefined;
  if (memoryLimitBytes !== undefined) flags.push("--memory", String(memoryLimitBytes));
  if (container.command) flags.push("--entrypoint", container.command[0] ?? "");
  return {
    image: container.image,
    flags,
    volumes: volumes(pod, container, context),
    args: [...(container.command?.slice(1) ?? []), ...(container.args ?? [])],
    memoryLimitBytes,
    probes: probes(container),
  };
}

function securityFlags(security: ContainerSecurity, imageUser: string): string[] {
  const flags = ["--user", user(security, imageUser)];
  if (security.privileged) flags.push("--privileged");
  if (security.readOnlyRootFilesystem) flags.push("--read-only");
  if (security.allowPrivilegeEscalation === false) flags.push("--security-opt", "no-new-privileges");
  for (const cap of security.capabilities?.drop ?? []) flags.push("--cap-drop", cap);
  for (const cap of security.capabilities?.add ?? []) flags.push("--cap-add", cap);
  if (security.seccompProfile && security.seccompProfile.type !== "RuntimeDefault") {
    throw new Error(`seccomp profile ${security.seccompProfile.type} is not translated (Docker's default is RuntimeDefault)`);
  }
  return flags;
}

function user(security: ContainerSecurity, imageUser: string): string {
  const [imageUid, imageGid] = imageUser.split(":");
  const uid = security.runAsUser ?? Number(imageUid || 0);
  if (!Number.isInteger(uid)) throw new Error(`the image's USER "${imageUser}" is not numeric: the kubelet cannot check runAsNonRoot`);
  if (security.runAsNonRoot && uid === 0) throw new Error("runAsNonRoot is set but the container would run as root");
  const gid = security.runAsGroup ?? (imageGid !== undefined && imageGid !== "" ? Number(imageGid) : 0);
  return `${uid}:${gid}`;
}

function environment(container: ContainerSpec, context: PodContext): Record<string, string> {
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: context.apiserver.host,
    KUBERNETES_SERVICE_PORT: String(context.apiserver.port),
  };
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (entry.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[entry.name] = context.namespace;
    else if (entry.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[entry.name] = context.podName;
    else throw new Error(`env ${entry.name}: source ${JSON.stringify(entry.valueFrom)} is not translated`);
  }
  return env;
}

function volumes(pod: DeploymentSpec["spec"]["template"]["spec"], container: ContainerSpec, context: PodContext): VolumePlan[] {
  const plans: VolumePlan[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (!volume?.secret) throw new Error(`volume ${mount.name}: only Secret volumes are translated`);
    const data = context.secrets[volume.secret.secretName];
    if (!data) throw new Error(`volume ${mount.name}: no data given for Secret ${volume.secret.secretName}`);
    const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    const files: Record<string, string> = {};
    for (const { key, path } of items) {
      const value = data[key];
      if (value === undefined) throw new Error(`volume ${mount.name}: Secret ${volume.secret.secretName} has no key ${key}`);
      files[path] = value;
    }
    // Secret volumes are read-only whatever the mount says.
    plans.push({ name: mount.name, mountPath: mount.mountPath, readOnly: true, files });
  }
  if (pod.automountServiceAccountToken !== false) {
    plans.push({
      name: "kube-api-access",
      mountPath: serviceAccountMountPath,
      readOnly: true,
      files: { token: context.serviceAccount.token, "ca.crt": context.serviceAccount.caCrt, namespace: context.namespace },
    });
  }
  return plans;
}

function probes(container: ContainerSpec): ContainerPlan["probes"] {
  const found: ContainerPlan["probes"] = [];
  for (const [kind, probe] of [["liveness", container.livenessProbe], ["readiness", container.readinessProbe]] as const) {
    if (!probe?.httpGet) continue;
    const { path, port } = probe.httpGet;
    const number = typeof port === "number" ? port : container.ports?.find((p) => p.name === port)?.containerPort;
    if (number === undefined) throw new Error(`${kind} probe: no container port named ${String(port)}`);
    found.push({ kind, path, port: number });
  }
  return found;
}
