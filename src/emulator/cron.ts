// Cron schedules of SCHEDULE rules: five fields (minute hour day-of-month month day-of-week),
// read in UTC by cron-parser. The field count is checked here because cron-parser also takes
// a leading seconds field and fills in missing ones, which the K3 API does not allow.
import { CronExpressionParser } from "cron-parser";

const FIELD_NAMES = "minute hour day-of-month month day-of-week";

/** Returns why a cron expression is not a valid five-field schedule, or undefined if it is. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  const fields = trimmed === "" ? [] : trimmed.split(/\s+/);
  if (fields.length !== 5) return `expected 5 space-separated fields (${FIELD_NAMES}), got ${fields.length}`;
  try {
    CronExpressionParser.parse(trimmed, { tz: "UTC" });
    return undefined;
  } catch (error) {
    return `invalid schedule "${trimmed}": ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The fire times of `expression` in (`after`, `until`], newest first, at most `limit` of them.
 * Walks backwards from `until`, so a clock moved by a year costs `limit` steps, not a year's.
 */
export function fireTimesBetween(expression: string, after: number, until: number, limit: number): number[] {
  // prev() is strictly before currentDate; one millisecond past `until` makes `until` itself count.
  const cron = CronExpressionParser.parse(expression.trim(), { currentDate: new Date(until + 1), tz: "UTC" });
  const times: number[] = [];
  while (times.length < limit) {
    const time = cron.prev().getTime();
    if (time <= after) break;
    times.push(time);
  }
  return times;
}

/** The first fire time of `expression` strictly after `after`. */
export function nextFireAfter(expression: string, after: number): number {
  return CronExpressionParser.parse(expression.trim(), { currentDate: new Date(after), tz: "UTC" }).next().getTime();
}
