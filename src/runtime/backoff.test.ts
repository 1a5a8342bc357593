import { describe, expect, it } from "vitest";
import { backoffDelay, withJitter } from "./backoff.js";

describe("backoffDelay", () => {
  it.each([
    { attempt: 0, want: 5, reason: "first retry uses the base" },
    { attempt: 1, want: 10, reason: "doubles" },
    { attempt: 10, want: 5120, reason: "keeps doubling" },
    { attempt: 30, want: 1_000_000, reason: "capped at max" },
    { attempt: 10_000, want: 1_000_000, reason: "huge attempt counts do not overflow" },
  ])("attempt $attempt → $want ($reason)", ({ attempt, want }) => {
    expect(backoffDelay(attempt, { baseMs: 5, maxMs: 1_000_000 })).toBe(want);
  });
});

describe("withJitter", () => {
  it.each([
    { random: 0, want: 90, reason: "lowest draw is -10 %" },
    { random: 0.5, want: 100, reason: "middle draw is unchanged" },
    { random: 0.999999, want: 110, reason: "highest draw is +10 %" },
  ])("random $random → $want ($reason)", ({ random, want }) => {
    expect(withJitter(100, 0.1, () => random)).toBe(want);
  });
});
