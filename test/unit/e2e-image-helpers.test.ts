// The pure helpers of the image e2e: what an image may hold, where debootstrap downloads
// from, what to unmount after dockerd, and how figures are read.
import { describe, expect, it } from "vitest";
import { baseKey, debianMirror, type BaseRecipe } from "../../scripts/e2e/base-image.js";
import { mountsUnder } from "../../scripts/e2e/docker-engine.js";
import { checkImageFiles } from "../../scripts/e2e/image-files.js";
import { metricValue, statsBytes } from "../../scripts/e2e/measure.js";

describe("checkImageFiles", () => {
  const rules = {
    required: ["app/dist/main.js"],
    forbidden: [{ pattern: /^app\/dist\/emulator\//, reason: "the emulator" }],
  };

  it.each([
    { reason: "tar's ./ prefix is ignored and a clean image passes", files: ["./", "./app/dist/main.js", "./app/dist/operator.js"], problems: [] },
    { reason: "a missing required file is named", files: ["./app/dist/operator.js"], problems: ["missing app/dist/main.js"] },
    {
      reason: "a forbidden path is named with the count of the others",
      files: ["app/dist/main.js", "app/dist/emulator/cli.js", "app/dist/emulator/server.js"],
      problems: ["the emulator: app/dist/emulator/cli.js and 1 more"],
    },
  ])("$reason", ({ files, problems }) => {
    expect(checkImageFiles(files, rules)).toEqual(problems);
  });
});

describe("debianMirror", () => {
  it.each([
    {
      reason: "deb822: the main suite's stanza, not the security one before it",
      files: [{ name: "/etc/apt/sources.list.d/debian.sources", text: "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n" }],
      mirror: "http://mirror.example/debian",
    },
    {
      reason: "deb822: a disabled stanza and a deb-src one are skipped",
      files: [{ name: "x.sources", text: "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n\nTypes: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://on.example/debian\nSuites: bookworm\n" }],
      mirror: "http://on.example/debian",
    },
    {
      reason: "one-line format with options",
      files: [{ name: "/etc/apt/sources.list", text: "# deb http://commented.example/debian bookworm main\ndeb [signed-by=/k.gpg] http://line.example/debian bookworm main\n" }],
      mirror: "http://line.example/debian",
    },
    { reason: "nothing configured", files: [{ name: "/etc/apt/sources.list", text: "# empty\n" }], mirror: undefined },
  ])("$reason", ({ files, mirror }) => {
    expect(debianMirror(files)).toBe(mirror);
  });
});

describe("baseKey", () => {
  const recipe: BaseRecipe = { suite: "bookworm", variant: "minbase", nodeSha256: "a".repeat(64), nodeVersion: "24.21.0", npmVersion: "11.19.1", recipeRevision: 1 };

  it("is stable for a recipe and changes with each of its inputs", () => {
    expect(baseKey(recipe)).toBe(baseKey({ ...recipe }));
    expect(baseKey(recipe)).toMatch(/^[0-9a-f]{12}$/);
    const variants: Partial<BaseRecipe>[] = [{ suite: "trixie" }, { nodeSha256: "b".repeat(64) }, { npmVersion: "11.20.0" }, { recipeRevision: 2 }];
    for (const change of variants) expect(baseKey({ ...recipe, ...change })).not.toBe(baseKey(recipe));
  });
});

describe("mountsUnder", () => {
  const mountinfo = [
    "25 1 254:0 / / rw - ext4 /dev/vda rw",
    "55 27 0:4 net:[4026531833] /tmp/d-1/netns/default rw - nsfs nsfs rw",
    "56 27 0:50 / /tmp/d-1/c rw - tmpfs tmpfs rw",
    "59 56 0:53 / /tmp/d-1/c/overlay/merged rw - overlay overlay rw",
    "57 27 0:51 / /tmp/d-10/netns/default rw - nsfs nsfs rw",
    "58 27 0:52 / /data/with\\040space rw - tmpfs tmpfs rw",
  ].join("\n");

  it("lists mounts below the folders, a nested one before its parent, and not those of a sibling with the same prefix", () => {
    const found = mountsUnder(["/tmp/d-1"], mountinfo);
    expect([...found].sort()).toEqual(["/tmp/d-1/c", "/tmp/d-1/c/overlay/merged", "/tmp/d-1/netns/default"]);
    expect(found.indexOf("/tmp/d-1/c/overlay/merged")).toBeLessThan(found.indexOf("/tmp/d-1/c"));
  });

  it("decodes mountinfo's octal escapes", () => {
    expect(mountsUnder(["/data/with space"], mountinfo)).toEqual(["/data/with space"]);
  });
});

describe("figures", () => {
  const text = "# HELP k3_x x\nk3_process_resident_memory_bytes 1048576\nk3_reconcile_total{controller=\"a\",result=\"ok\"} 3\nk3_reconcile_total{controller=\"b\",result=\"ok\"} 4\nk3_reconcile_total_other 9\n";

  it.each([
    { name: "k3_process_resident_memory_bytes", value: 1048576 },
    { name: "k3_reconcile_total", value: 7 },
    { name: "k3_absent", value: undefined },
  ])("metricValue($name) = $value", ({ name, value }) => {
    expect(metricValue(text, name)).toBe(value);
  });

  it.each([
    { usage: "45.5MiB / 512MiB", bytes: Math.round(45.5 * 1024 ** 2) },
    { usage: "900KiB / 1GiB", bytes: 900 * 1024 },
    { usage: "1.2GiB / 2GiB", bytes: Math.round(1.2 * 1024 ** 3) },
  ])("statsBytes($usage)", ({ usage, bytes }) => {
    expect(statsBytes(usage)).toBe(bytes);
  });
});
