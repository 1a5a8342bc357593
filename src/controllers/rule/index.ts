import type { K3IngestJob, K3IngestRule, K3Pipeline, K3Source } from "../../api/gen/index.js";
import type { Controller } from "../../runtime/index.js";
import type { Connections } from "../connection.js";
import { newManagedController, type ControllerDeps } from "../managed-controller.js";
import { K3Resources } from "../resources.js";
import { jobRuleIndex, ruleKeyOfJob } from "../job/index.js";
import { newRuleAdapter } from "./adapter.js";

/** The K3IngestRule controller: follows its source and pipeline, and is told of job objects run for it. */
export function newRuleController(deps: ControllerDeps, connections: Connections): Controller<K3IngestRule> {
  const sources = deps.manager.informerFor<K3Source>(K3Resources.K3Source);
  const pipelines = deps.manager.informerFor<K3Pipeline>(K3Resources.K3Pipeline);
  const jobs = deps.manager.informerFor<K3IngestJob>(K3Resources.K3IngestJob);
  jobs.addIndex(jobRuleIndex, ruleKeyOfJob);
  return newManagedController<K3IngestRule>(
    {
      resource: K3Resources.K3IngestRule,
      adapter: newRuleAdapter({ connections, sources, pipelines, jobs, secretCache: deps.secrets.informer, lookedIn: deps.lookedIn }),
      secretNames: (obj) => (obj.spec.connectionRef?.name ? [obj.spec.connectionRef.name] : []),
      references: [
        { resource: K3Resources.K3Source, names: (obj) => (obj.spec.sourceRef ? [obj.spec.sourceRef.name] : []) },
        { resource: K3Resources.K3Pipeline, names: (obj) => (obj.spec.pipelineRef ? [obj.spec.pipelineRef.name] : []) },
      ],
      namedBy: [{ resource: K3Resources.K3IngestJob, owners: ruleKeyOfJob }],
    },
    deps,
  );
}
