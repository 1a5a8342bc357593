// What every RPC handler receives, and the typed shape of a service's handler table.
import type { Clock } from "./clock.js";
import type { TenantState } from "./store.js";

/** The state and time one call runs against. */
export interface CallContext {
  /** Proto name of the RPC, e.g. "CreatePipeline". */
  rpc: string;
  /** The caller's tenant state. */
  tenant: TenantState;
  /** The clock's time when the call was authenticated, in milliseconds. */
  now: number;
  /** The emulator's clock, to schedule simulated work. */
  clock: Clock;
}

/** The parts of a generated grpc-js service definition the emulator relies on. */
export type UnaryServiceDefinition = Record<string, {
  path: string;
  requestDeserialize: (bytes: Buffer) => unknown;
  responseDeserialize: (bytes: Buffer) => unknown;
}>;

/**
 * One synchronous handler per method of a generated service definition, taking the decoded
 * request and returning the response message; handlers throw EmulatorError to fail.
 */
export type Handlers<D extends UnaryServiceDefinition> = {
  [K in keyof D]: (ctx: CallContext, request: ReturnType<D[K]["requestDeserialize"]>) => ReturnType<D[K]["responseDeserialize"]>;
};
