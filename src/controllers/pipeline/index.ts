import type { K3Pipeline } from "../../api/gen/index.js";
import type { Controller } from "../../runtime/index.js";
import type { Connections } from "../connection.js";
import { newManagedController, type ControllerDeps } from "../managed-controller.js";
import { K3Resources } from "../resources.js";
import { newPipelineAdapter } from "./adapter.js";

/** The K3Pipeline controller. */
export function newPipelineController(deps: ControllerDeps, connections: Connections): Controller<K3Pipeline> {
  return newManagedController<K3Pipeline>(
    {
      resource: K3Resources.K3Pipeline,
      adapter: newPipelineAdapter(connections),
      secretNames: (obj) => (obj.spec.connectionRef?.name ? [obj.spec.connectionRef.name] : []),
    },
    deps,
  );
}
