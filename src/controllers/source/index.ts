import type { K3Source } from "../../api/gen/index.js";
import type { Controller } from "../../runtime/index.js";
import type { Connections } from "../connection.js";
import { newManagedController, type ControllerDeps } from "../managed-controller.js";
import { K3Resources } from "../resources.js";
import { newSourceAdapter } from "./adapter.js";

/** The K3Source controller; its credential and connection Secrets are watched, never polled. */
export function newSourceController(deps: ControllerDeps, connections: Connections): Controller<K3Source> {
  return newManagedController<K3Source>(
    {
      resource: K3Resources.K3Source,
      adapter: newSourceAdapter({ connections, secrets: deps.secrets, secretCache: deps.secrets.informer }),
      secretNames: (obj) => [obj.spec.credential?.secretRef.name, obj.spec.connectionRef?.name].filter((n): n is string => Boolean(n)),
    },
    deps,
  );
}
