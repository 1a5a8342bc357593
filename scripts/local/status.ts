// What `npm run local` shows: the header with what to try, and which applied objects are
// not Ready yet.

/** An object as `kubectl get -o json` lists it, reduced to what readiness needs. */
export interface ListedObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * Describes each wanted object that has no `Ready=True` condition in `listed` (missing ones
 * included), e.g. `K3Pipeline doc-chunker (Ready=False TemplateNotFound: ...)`; empty when all are Ready.
 * An object whose example documents a failure counts as settled once Ready=False shows that reason.
 */
export function notReady(wanted: readonly { kind: string; name: string; expectedReason?: string }[], listed: readonly ListedObject[]): string[] {
  return wanted.flatMap(({ kind, name, expectedReason }) => {
    const object = listed.find((each) => each.kind === kind && each.metadata.name === name);
    if (!object) return [`${kind} ${name} (not found)`];
    // A run (K3IngestJob) has no Ready: it is settled once Complete (or Failed, when documented).
    if (kind === "K3IngestJob") return runNotDone(object, name, expectedReason);
    const ready = object.status?.conditions?.find((condition) => condition.type === "Ready");
    if (ready?.status === "True") return [];
    if (expectedReason && ready?.status === "False" && ready.reason === expectedReason) return [];
    if (!ready) return [`${kind} ${name} (no Ready condition yet)`];
    return [`${kind} ${name} (Ready=${ready.status} ${ready.reason ?? ""}${ready.message ? `: ${ready.message}` : ""})`];
  });
}

function runNotDone(object: ListedObject, name: string, expectedReason: string | undefined): string[] {
  const complete = object.status?.conditions?.find((c) => c.type === "Complete");
  const failed = object.status?.conditions?.find((c) => c.type === "Failed");
  if (complete?.status === "True") return [];
  if (expectedReason && failed?.status === "True" && failed.reason === expectedReason) return [];
  const why = failed?.status === "True" ? `Failed ${failed.reason}: ${failed.message ?? ""}` : (complete?.reason ?? "not started");
  return [`K3IngestJob ${name} (${why})`];
}

/** What the header names. */
export interface HeaderInfo {
  /** Absolute path of the kubeconfig. */
  kubeconfig: string;
  /** The kubeconfig path as the user should type it (relative to their folder when inside it). */
  kubeconfigShown: string;
  /** The kubectl to type: `kubectl` when one is on PATH, else the cached build's path. */
  kubectl: string;
  namespace: string;
  /** A pipeline to suggest editing. */
  pipeline: string | undefined;
  emulatorAddress: string;
  tokenFile: string;
  timeScale: number;
  operatorLog: string;
  metricsPort: number;
  /** Process ids, so that a user (or a test) can check they are gone after the stop. */
  pids: { name: string; pid: number }[];
  watching: boolean;
}

/** The lines printed above the status table. */
export function renderHeader(info: HeaderInfo): string {
  const k = `KUBECONFIG=${info.kubeconfigShown} ${info.kubectl}`;
  const tries = [`${k} get k3 -A`, `${k} -n ${info.namespace} describe k3pl`];
  if (info.pipeline) tries.push(`${k} -n ${info.namespace} edit k3pl ${info.pipeline}`);
  return [
    `k3-operator running locally${info.watching ? " (Ctrl-C stops everything)" : ""}`,
    `  kubeconfig  ${info.kubeconfig}`,
    ...tries.map((line, i) => `  ${i === 0 ? "try" : "   "}         ${line}`),
    `  emulator    ${info.emulatorAddress} (time x${info.timeScale}; token in ${info.tokenFile})`,
    `  operator    log ${info.operatorLog}; metrics http://127.0.0.1:${info.metricsPort}/metrics`,
    `  pids        ${info.pids.map(({ name, pid }) => `${name} ${pid}`).join(", ")}`,
  ].join("\n");
}

/** The table without its AGE column, to tell whether anything but ages changed. */
export function withoutAges(table: string): string {
  return table.split("\n").map((line) => line.replace(/\s+\S+\s*$/, "")).join("\n");
}
