import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { errorFields, type Logger, noopLogger } from "./logger.js";

describe("Logger", () => {
  it("is satisfied by pino, so main.ts can pass its logger straight in", () => {
    const lines: string[] = [];
    const logger: Logger = pino({ level: "debug" }, { write: (s: string) => lines.push(s) });
    logger.child({ controller: "x" }).warn(errorFields(new Error("boom")), "failed");
    expect(JSON.parse(lines[0]!)).toMatchObject({ controller: "x", err: "boom", msg: "failed" });
  });

  it("noopLogger drops everything", () => {
    expect(() => noopLogger.child({}).error({}, "x")).not.toThrow();
  });
});
