import { describe, expect, it } from "vitest";
import { cronProblem, fireTimesBetween, nextFireAfter } from "./cron.js";

const at = (iso: string): number => Date.parse(iso);

describe("cronProblem", () => {
  it.each(["0 * * * *", "*/15 9-17 * * MON-FRI", "30 2 1,15 JAN,jul 0", "0 0 * * 7", "5-10/2 * * * *"])("accepts %j", (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    { reason: "empty", expression: "", message: /got 0/ },
    { reason: "four fields", expression: "0 * * *", message: /got 4/ },
    { reason: "six fields (cron-parser's seconds)", expression: "0 0 * * * *", message: /got 6/ },
    { reason: "a macro (one field)", expression: "@daily", message: /got 1/ },
    { reason: "minute out of range", expression: "60 * * * *", message: /got value 60 expected range 0-59/ },
    { reason: "day of month 0", expression: "0 0 0 * *", message: /got value 0 expected range 1-31/ },
    { reason: "step of zero", expression: "*/0 * * * *", message: /every 0/ },
    { reason: "a word", expression: "daily * * * *", message: /daily/ },
    { reason: "a month name in the hour field", expression: "0 JAN * * *", message: /JAN/ },
  ])("refuses $reason", ({ expression, message }) => {
    expect(cronProblem(expression)).toMatch(message);
  });
});

describe("fireTimesBetween", () => {
  it.each([
    { reason: "a fire time equal to `until` counts", expr: "0 * * * *", after: "2026-01-01T00:30:00Z", until: "2026-01-01T01:00:00Z", limit: 10, want: ["2026-01-01T01:00:00.000Z"] },
    { reason: "a fire time equal to `after` does not (already fired)", expr: "0 * * * *", after: "2026-01-01T01:00:00Z", until: "2026-01-01T01:59:59Z", limit: 10, want: [] },
    { reason: "newest first", expr: "*/20 * * * *", after: "2026-01-01T00:00:00Z", until: "2026-01-01T01:00:00Z", limit: 10, want: ["2026-01-01T01:00:00.000Z", "2026-01-01T00:40:00.000Z", "2026-01-01T00:20:00.000Z"] },
    { reason: "a year of minutes stops at the limit", expr: "* * * * *", after: "2025-01-01T00:00:00Z", until: "2026-01-01T00:00:00Z", limit: 3, want: ["2026-01-01T00:00:00.000Z", "2025-12-31T23:59:00.000Z", "2025-12-31T23:58:00.000Z"] },
    { reason: "read in UTC", expr: "30 2 * * *", after: "2026-03-01T00:00:00Z", until: "2026-03-02T00:00:00Z", limit: 10, want: ["2026-03-01T02:30:00.000Z"] },
  ])("$reason", ({ expr, after, until, limit, want }) => {
    expect(fireTimesBetween(expr, at(after), at(until), limit).map((t) => new Date(t).toISOString())).toEqual(want);
  });
});

describe("nextFireAfter", () => {
  it.each([
    { reason: "strictly after a fire time", expr: "0 * * * *", after: "2026-01-01T01:00:00Z", want: "2026-01-01T02:00:00.000Z" },
    { reason: "from between two fire times", expr: "*/20 * * * *", after: "2026-01-01T00:05:00Z", want: "2026-01-01T00:20:00.000Z" },
  ])("$reason", ({ expr, after, want }) => {
    expect(new Date(nextFireAfter(expr, at(after))).toISOString()).toBe(want);
  });
});
