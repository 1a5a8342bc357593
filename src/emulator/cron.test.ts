import { describe, expect, it } from "vitest";
import { cronProblem } from "./cron.js";

describe("cronProblem", () => {
  it.each(["0 * * * *", "*/15 9-17 * * MON-FRI", "30 2 1,15 JAN,jul 0", "0 0 * * 7", "5-10/2 * * * *"])("accepts %j", (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    { reason: "empty", expression: "", message: /got 0/ },
    { reason: "four fields", expression: "0 * * *", message: /got 4/ },
    { reason: "six fields", expression: "0 0 * * * *", message: /got 6/ },
    { reason: "minute out of range", expression: "60 * * * *", message: /minute/ },
    { reason: "day of month 0", expression: "0 0 0 * *", message: /day of month/ },
    { reason: "step of zero", expression: "*/0 * * * *", message: /minute/ },
    { reason: "a word", expression: "daily * * * *", message: /minute/ },
    { reason: "a month name in the hour field", expression: "0 JAN * * *", message: /hour/ },
  ])("refuses $reason", ({ expression, message }) => {
    expect(cronProblem(expression)).toMatch(message);
  });
});
