import { AsyncLocalStorage } from "node:async_hooks";

/** What is being reconciled right now, for logs written deep below the reconciler (e.g. per external call). */
export interface ReconcileContext {
  controller: string;
  /** "namespace/name" */
  key: string;
}

const storage = new AsyncLocalStorage<ReconcileContext>();

/** Runs `fn` with `context` visible to `currentReconcile()` in everything it awaits. */
export function runInReconcileContext<T>(context: ReconcileContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The reconcile the caller runs within, if any. */
export function currentReconcile(): ReconcileContext | undefined {
  return storage.getStore();
}
