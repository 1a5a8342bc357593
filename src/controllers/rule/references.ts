import type { K3IngestRule, K3Pipeline, K3Source } from "../../api/gen/index.js";
import { isReady } from "../../api/conditions.js";
import { keyOf } from "../../runtime/index.js";
import { ControllerError } from "../classify.js";

/** Read access to the caches a rule's references resolve from. */
export interface ReferenceCaches {
  sources: { get(key: string): K3Source | undefined };
  pipelines: { get(key: string): K3Pipeline | undefined };
  /** appended to "not found": where the caches looked (a shard's objects only); empty unless given */
  lookedIn?: string;
}

/** The remote ids a rule routes on, or why they are not known yet. */
export type ResolvedIds = { ready: true; sourceId: string; pipelineId: string } | { ready: false; message: string };

interface Referenced {
  metadata: { name?: string };
  spec: { connectionRef?: { name: string } };
  status?: { conditions?: { type: string; status: "True" | "False" | "Unknown"; reason: string; message: string; lastTransitionTime: string }[] };
}

/**
 * One reference: a literal id wins; else the named object's remote id once it is Ready. A
 * referenced object that is gone keeps the id recorded in the rule's status (the rule outlives
 * it and says so through its binding). One connection for the whole chain: a mismatch is an
 * invalid spec, never a call across tenants.
 */
function resolveOne(
  rule: K3IngestRule,
  kind: string,
  ref: { literal?: string; name?: string; cached?: Referenced; remoteId?: string; recorded?: string; lookedIn?: string },
): { id?: string; message?: string } {
  const { literal, name, cached, remoteId, recorded, lookedIn } = ref;
  if (literal) return { id: literal };
  if (!name) return { message: `a ${kind} reference` };
  if (!cached) return recorded ? { id: recorded } : { message: `${kind} ${name} (not found${lookedIn ?? ""})` };
  const mine = rule.spec.connectionRef?.name ?? "";
  const theirs = cached.spec.connectionRef?.name ?? "";
  if (mine !== theirs) {
    throw new ControllerError(
      "invalidSpec",
      `the rule uses connection ${mine ? `Secret ${mine}` : "the operator default"} but ${kind} ${name} uses ${theirs ? `Secret ${theirs}` : "the operator default"}; a rule, its source and its pipeline must use one connection`,
    );
  }
  if (!remoteId || !isReady(cached)) return { message: `${kind} ${name} (not Ready)` };
  return { id: remoteId };
}

/** Resolves a rule's source and pipeline from the informer caches (no API call). */
export function resolveRuleIds(rule: K3IngestRule, caches: ReferenceCaches): ResolvedIds {
  const ns = rule.metadata.namespace;
  const sourceRef = rule.spec.sourceRef?.name;
  const pipelineRef = rule.spec.pipelineRef?.name;
  const source = sourceRef ? caches.sources.get(keyOf(ns, sourceRef)) : undefined;
  const pipeline = pipelineRef ? caches.pipelines.get(keyOf(ns, pipelineRef)) : undefined;
  const s = resolveOne(rule, "K3Source", { literal: rule.spec.sourceId, name: sourceRef, cached: source, remoteId: source?.status?.sourceId, recorded: rule.status?.sourceId, lookedIn: caches.lookedIn });
  const p = resolveOne(rule, "K3Pipeline", { literal: rule.spec.pipelineId, name: pipelineRef, cached: pipeline, remoteId: pipeline?.status?.pipelineId, recorded: rule.status?.pipelineId, lookedIn: caches.lookedIn });
  if (s.id && p.id) return { ready: true, sourceId: s.id, pipelineId: p.id };
  return { ready: false, message: `waiting for ${[s.message, p.message].filter(Boolean).join(" and ")}` };
}
