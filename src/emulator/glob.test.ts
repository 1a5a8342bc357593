import { describe, expect, it } from "vitest";
import { globMatches, isMimePattern, mimeMatches } from "./glob.js";

describe("globMatches", () => {
  it.each([
    { reason: "** crosses directories", glob: "**/*.pdf", key: "a/b/c.pdf", expected: true },
    { reason: "**/ also matches no directory", glob: "**/*.pdf", key: "c.pdf", expected: true },
    { reason: "* stays in one segment", glob: "reports/*.pdf", key: "reports/2026/x.pdf", expected: false },
    { reason: "* within a segment", glob: "reports/*/x.pdf", key: "reports/2026/x.pdf", expected: true },
    { reason: "? is one character", glob: "a?.md", key: "ab.md", expected: true },
    { reason: "? is not a slash", glob: "a?b", key: "a/b", expected: false },
    { reason: "dots are literal", glob: "*.md", key: "readme-md", expected: false },
    { reason: "trailing ** takes everything below", glob: "docs/**", key: "docs/guides/setup.md", expected: true },
    { reason: "anchored at both ends", glob: "docs", key: "docs/x", expected: false },
    { reason: "dot files match like others", glob: "**/*.md", key: "docs/.draft.md", expected: true },
    { reason: "braces", glob: "**/*.{md,pdf}", key: "a/b.pdf", expected: true },
    { reason: "a corrupt-* exclusion at any depth", glob: "**/corrupt-*", key: "reports/2026/corrupt-scan-004.pdf", expected: true },
  ])("$reason", ({ glob, key, expected }) => {
    expect(globMatches(glob, key)).toBe(expected);
  });
});

describe("MIME patterns", () => {
  it.each([
    { pattern: "text/*", mime: "text/markdown", expected: true },
    { pattern: "text/*", mime: "application/pdf", expected: false },
    { pattern: "application/pdf", mime: "application/pdf", expected: true },
    { pattern: "*/*", mime: "image/png", expected: true },
  ])("$pattern matches $mime: $expected", ({ pattern, mime, expected }) => {
    expect(mimeMatches(pattern, mime)).toBe(expected);
  });

  it.each([["text/*", true], ["application/vnd.ms-excel", true], ["pdf", false], ["/x", false]])("isMimePattern(%s) = %s", (pattern, expected) => {
    expect(isMimePattern(pattern)).toBe(expected);
  });
});
