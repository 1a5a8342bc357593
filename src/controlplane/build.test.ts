import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ensureBinaries } from "./build.js";

describe("ensureBinaries", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("says what to do when the binaries are missing and Go is not installed", async () => {
    const cache = await mkdtemp(join(tmpdir(), "no-go-"));
    try {
      vi.stubEnv("PATH", "/nonexistent");
      await expect(ensureBinaries({ cache, report: () => undefined })).rejects.toThrow(
        /Go is not on PATH: install Go 1\.24 or newer .* K3_TEST_USE_EXISTING_CLUSTER=true/,
      );
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
