import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedFileToken } from "./file-token.js";

describe("cachedFileToken", () => {
  let dir: string;
  let file: string;
  let clock: number;
  const now = (): number => clock;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "file-token-"));
    file = join(dir, "token");
    clock = 1_000_000;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("reads the file once per maxAge: a rotated token is used once the copy is older", async () => {
    await writeFile(file, "first\n");
    const token = cachedFileToken(file, { maxAgeMs: 10_000, now });
    expect(await token()).toBe("first");
    await writeFile(file, "second\n");
    clock += 9_999;
    expect(await token()).toBe("first");
    clock += 1;
    expect(await token()).toBe("second");
  });

  it("calls during a read share it; a failed read is not kept", async () => {
    const token = cachedFileToken(file, { now });
    const together = [token(), token(), token()];
    await expect(Promise.all(together)).rejects.toThrow(/ENOENT/);
    await writeFile(file, "appeared");
    expect(await token()).toBe("appeared");
    await writeFile(file, "again");
    const [a, b] = await Promise.all([token(), token()]);
    expect([a, b]).toEqual(["appeared", "appeared"]);
  });
});
