import type { Informer, KubeObject, Runnable } from "../runtime/index.js";
import type { Connections } from "./connection.js";
import type { ControllerDeps } from "./managed-controller.js";
import { newPipelineController } from "./pipeline/index.js";

/** Every controller of the operator, in the order they start. */
export function newControllers(deps: ControllerDeps, connections: Connections, secrets: Informer<KubeObject>): Runnable[] {
  void secrets;
  return [newPipelineController(deps, connections)];
}
