// The `k3-emulator` bin launcher runs the TypeScript CLI through tsx, with no build step.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { mintToken, verifyToken } from "../../../src/emulator/index.js";
import { connectTestClient } from "../../../src/emulator/test-client.js";
import { expectGrpcError, GrpcStatus, pipelineInput } from "./support.js";

const run = promisify(execFile);
const launcher = fileURLToPath(new URL("../../../bin/k3-emulator.js", import.meta.url));

describe("bin/k3-emulator.js", () => {
  it("prints usage for --help", async () => {
    const { stdout } = await run(process.execPath, [launcher, "--help"]);
    expect(stdout).toContain("k3-emulator serve --secret S");
  });

  it("prints a verifiable token and exits 0", async () => {
    const { stdout } = await run(process.execPath, [launcher, "token", "--secret", "S", "--tenant", "acme", "--ttl", "15m"]);
    expect((await verifyToken(stdout.trim(), "S", Date.now())).tenant).toBe("acme");
  });

  it("exits 2 on a usage error", async () => {
    await expect(run(process.execPath, [launcher, "token", "--secret", "S"])).rejects.toMatchObject({ code: 2 });
  });

  it("serve takes faults from the command line: errors, lost answers and latency on every RPC", async () => {
    const child = spawn(process.execPath, [launcher, "serve", "--secret", "S", "--port", "0", "--log-level", "warn",
      "--error-rate", "1", "--error-code", "RESOURCE_EXHAUSTED", "--latency", "150ms"], { stdio: ["ignore", "pipe", "pipe"] });
    const stderr: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const address = /listening on (\S+)/.exec(line)?.[1];
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const k3 = connectTestClient({ address: address!, token: mintToken({ secret: "S", tenant: "cli-faults" }) });
      const started = performance.now();
      const details = await expectGrpcError(k3.pipeline.listTemplates({}), GrpcStatus.RESOURCE_EXHAUSTED);
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
      expect(details.errorInfo?.reason).toBe("INJECTED_FAULT");
      k3.close();
      expect(stderr.join("")).toContain("fault injection on every RPC");
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });

  it("serve with --lost-answer-rate 1 commits every call and loses its answer", async () => {
    const child = spawn(process.execPath, [launcher, "serve", "--secret", "S", "--port", "0", "--log-level", "silent", "--lost-answer-rate", "1"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      const k3 = connectTestClient({ address: /listening on (\S+)/.exec(line)![1]!, token: mintToken({ secret: "S", tenant: "cli-lost" }) });
      const details = await expectGrpcError(k3.pipeline.createPipeline({ pipeline: pipelineInput("lost-by-cli"), requestId: "r1" }), GrpcStatus.UNAVAILABLE);
      expect(details.errorInfo?.reason).toBe("INJECTED_ANSWER_LOST");
      // The create committed: the same request_id is a replay, whose answer is lost as well.
      await expectGrpcError(k3.pipeline.createPipeline({ pipeline: pipelineInput("lost-by-cli"), requestId: "r1" }), GrpcStatus.UNAVAILABLE);
      const dup = await expectGrpcError(k3.pipeline.createPipeline({ pipeline: pipelineInput("lost-by-cli"), requestId: "r2" }), GrpcStatus.ALREADY_EXISTS);
      expect(dup.errorInfo?.reason).toBe("DISPLAY_NAME_IN_USE");
      k3.close();
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});
