import type { Informer, KubeObject, Runnable } from "../runtime/index.js";
import type { Connections } from "./connection.js";
import type { ControllerDeps } from "./managed-controller.js";
import { newJobController } from "./job/index.js";
import { newPipelineController } from "./pipeline/index.js";
import { newRuleController } from "./rule/index.js";
import { newSourceController } from "./source/index.js";

/** Every controller of the operator. */
export function newControllers(deps: ControllerDeps, connections: Connections, secrets: Informer<KubeObject>): Runnable[] {
  return [newSourceController(deps, connections, secrets), newPipelineController(deps, connections), newRuleController(deps, connections, secrets), newJobController(deps, connections)];
}
