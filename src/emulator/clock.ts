// The emulator's sense of time. Nothing in the emulator runs on timers: runs and jobs store
// when they were made and their state is computed from `now()` at read time, so a test can
// inject a clock and read deterministic states, and `timeScale` shrinks every simulated
// duration (1 = realistic, 0.001 = a two-second discovery finishes in two milliseconds).

/** Clock gives the emulator's current time and scales simulated durations. */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  now(): number;
  /** Turns a realistic duration in milliseconds into this clock's simulated duration. */
  scale(realisticMs: number): number;
}

/** Options of {@link createClock}. */
export interface ClockOptions {
  /** Multiplier applied to every simulated duration; must be > 0. Default 1. */
  timeScale?: number;
  /** Source of the current time; default `Date.now`. */
  now?: () => number;
}

/** Creates a clock; throws when `timeScale` is not a positive finite number. */
export function createClock(options: ClockOptions = {}): Clock {
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`timeScale must be a positive number, got ${String(timeScale)}`);
  }
  const now = options.now ?? Date.now;
  return {
    now: () => now(),
    scale: (realisticMs) => realisticMs * timeScale,
  };
}
