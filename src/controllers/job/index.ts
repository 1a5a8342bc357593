import type { K3IngestJob, K3IngestRule } from "../../api/gen/index.js";
import { Controller, keyOf, newObjectWriter, RunReconciler, type KubeObject } from "../../runtime/index.js";
import type { Connections } from "../connection.js";
import type { ControllerDeps } from "../managed-controller.js";
import { K3Resources } from "../resources.js";
import { newJobAdapter } from "./adapter.js";

/** Index of the K3IngestJob informer: the `namespace/name` key of each job's rule (shared with the rule controller). */
export const jobRuleIndex = "rule";

/** The `namespace/name` key of a job's rule. */
export function ruleKeyOfJob(job: KubeObject): string[] {
  const name = (job as K3IngestJob).spec?.ruleRef?.name;
  return name ? [keyOf(job.metadata?.namespace, name)] : [];
}

/** The K3IngestJob controller: a run reconciler, woken when its rule changes (e.g. becomes Ready). */
export function newJobController(deps: ControllerDeps, connections: Connections): Controller<K3IngestJob> {
  const informer = deps.manager.informerFor<K3IngestJob>(K3Resources.K3IngestJob);
  informer.addIndex(jobRuleIndex, ruleKeyOfJob);
  const rules = deps.manager.informerFor<K3IngestRule>(K3Resources.K3IngestRule);
  const logger = deps.logger.child({ controller: "k3ingestjob" });
  return new Controller<K3IngestJob>({
    name: "k3ingestjob",
    informer,
    reconciler: new RunReconciler<K3IngestJob>({
      adapter: newJobAdapter({ connections, rules, lookedIn: deps.lookedIn }),
      writer: newObjectWriter<K3IngestJob>(deps.kube, K3Resources.K3IngestJob),
      events: deps.events,
      logger,
    }),
    watches: [{ informer: rules, index: jobRuleIndex, updated: (a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion }],
    sharedInformers: true,
    workers: deps.workers,
    resyncPeriodMs: deps.resyncPeriodMs,
    queue: { metrics: deps.metrics.queue("k3ingestjob") },
    metrics: deps.metrics.controller("k3ingestjob"),
    logger: deps.logger,
  });
}
