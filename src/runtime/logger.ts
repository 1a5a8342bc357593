/** The structured logger the runtime writes to; a pino `Logger` satisfies it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => undefined;

/** A logger that drops everything: the default when a caller passes none (tests). */
export const noopLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};

/** Turns an unknown thrown value into loggable fields without leaking request bodies. */
export function errorFields(err: unknown): { err: string } {
  return { err: err instanceof Error ? err.message : String(err) };
}
