import type { KubeClient } from "./kube-client.js";
import type { KubeObject } from "./kube-types.js";
import { errorFields, type Logger, noopLogger } from "./logger.js";
import { CoreTypes } from "./resource.js";

/** What happened to an object, as shown by `kubectl describe` / `kubectl get events`. */
export interface RecordedEvent {
  type: "Normal" | "Warning";
  /** CamelCase reason, e.g. `Created`, `CannotCreate`, `Paused` */
  reason: string;
  /** human message; never secret material */
  message: string;
}

/** Emits Kubernetes Events for actions and errors; fire-and-forget, never throws. */
export interface EventRecorder {
  record(obj: KubeObject, event: RecordedEvent): void;
}

/** An `EventRecorder` that records nothing (tests, dry runs). */
export const noopEventRecorder: EventRecorder = { record: () => undefined };

/** Options of `newEventRecorder`. */
export interface EventRecorderOptions {
  kube: KubeClient;
  /** `source.component` / `reportingComponent`, e.g. the operator's name */
  component: string;
  /** `reportingInstance`, e.g. the pod name */
  instance?: string;
  /** repeats of the same object+type+reason+message within this window bump a count instead of creating an Event; 10 min unless given */
  windowMs?: number;
  /** repeats patch the count at most this often (the rest are counted locally); 60 s unless given */
  bumpIntervalMs?: number;
  /** how many distinct events are remembered for deduplication; 4096 unless given */
  maxEntries?: number;
  logger?: Logger;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: number;
  lastPatched: number;
}

const maxMessage = 1024;

/** A core/v1 Event recorder that deduplicates repeats (count bumps, throttled) so a retry loop cannot flood the apiserver. */
export function newEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { kube, component } = options;
  const windowMs = options.windowMs ?? 600_000;
  const bumpIntervalMs = options.bumpIntervalMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 4096;
  const logger = options.logger ?? noopLogger;
  const seen = new Map<string, Seen>();
  let serial = 0;

  const send = async (obj: KubeObject, event: RecordedEvent, key: string): Promise<void> => {
    const now = Date.now();
    const prior = seen.get(key);
    if (prior && now - prior.first < windowMs) {
      prior.count++;
      if (now - prior.lastPatched < bumpIntervalMs) return;
      prior.lastPatched = now;
      const body = { count: prior.count, lastTimestamp: seconds(now) };
      await kube.patch(CoreTypes.Event, { namespace: prior.namespace, name: prior.name }, { type: "merge", body });
      return;
    }
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace ?? "default";
    const name = `${meta.name ?? "object"}.${now.toString(16)}${(serial++ % 4096).toString(16).padStart(3, "0")}`;
    if (seen.size >= maxEntries) seen.delete(seen.keys().next().value ?? "");
    seen.delete(key);
    seen.set(key, { name, namespace, count: 1, first: now, lastPatched: now });
    await kube.create(CoreTypes.Event, {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, maxMessage),
      source: { component },
      reportingComponent: component,
      reportingInstance: options.instance ?? component,
      firstTimestamp: seconds(now),
      lastTimestamp: seconds(now),
      count: 1,
    } as KubeObject);
  };

  return {
    record(obj, event) {
      const key = [obj.metadata?.uid, event.type, event.reason, event.message].join("\u0000");
      send(obj, event, key).catch((err: unknown) => {
        // Events are best effort: a lost one must not fail a reconcile. Forget it so a repeat retries.
        seen.delete(key);
        logger.warn({ ...errorFields(err), reason: event.reason }, "cannot record event");
      });
    },
  };
}

function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
