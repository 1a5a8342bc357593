import type { Runnable } from "../runtime/index.js";
import type { Connections } from "./connection.js";
import type { ControllerDeps } from "./managed-controller.js";
import { newJobController } from "./job/index.js";
import { newPipelineController } from "./pipeline/index.js";
import { newRuleController } from "./rule/index.js";
import { newSourceController } from "./source/index.js";

/** Every controller of the operator. */
export function newControllers(deps: ControllerDeps, connections: Connections): Runnable[] {
  return [newSourceController(deps, connections), newPipelineController(deps, connections), newRuleController(deps, connections), newJobController(deps, connections)];
}
