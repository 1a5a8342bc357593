// The `k3-emulator` bin launcher runs the TypeScript CLI through tsx, with no build step.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { verifyToken } from "../../../src/emulator/index.js";

const run = promisify(execFile);
const launcher = fileURLToPath(new URL("../../../bin/k3-emulator.js", import.meta.url));

describe("bin/k3-emulator.js", () => {
  it("prints usage for --help", async () => {
    const { stdout } = await run(process.execPath, [launcher, "--help"]);
    expect(stdout).toContain("k3-emulator serve --secret S");
  });

  it("prints a verifiable token and exits 0", async () => {
    const { stdout } = await run(process.execPath, [launcher, "token", "--secret", "S", "--tenant", "acme", "--ttl", "15m"]);
    expect(verifyToken(stdout.trim(), "S", Date.now()).tenant).toBe("acme");
  });

  it("exits 2 on a usage error", async () => {
    await expect(run(process.execPath, [launcher, "token", "--secret", "S"])).rejects.toMatchObject({ code: 2 });
  });
});
