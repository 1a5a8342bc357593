// What an image may and must hold, checked on the list of its files (`docker export | tar -t`).

/** Rules for one image: paths that must exist, and patterns no path may match. */
export interface ImageFileRules {
  /** Paths relative to the image's root, without a leading slash. */
  required: string[];
  forbidden: { pattern: RegExp; reason: string }[];
}

/**
 * The rule violations of `files` (paths as tar lists them, `./` prefix allowed): each missing
 * required path, and each forbidden pattern with the first path matching it and how many match.
 */
export function checkImageFiles(files: readonly string[], rules: ImageFileRules): string[] {
  const paths = new Set(files.map((file) => file.replace(/^\.?\//, "")));
  const problems = rules.required.filter((path) => !paths.has(path)).map((path) => `missing ${path}`);
  for (const { pattern, reason } of rules.forbidden) {
    const matches = [...paths].filter((path) => pattern.test(path));
    if (matches.length > 0) problems.push(`${reason}: ${matches[0]}${matches.length > 1 ? ` and ${matches.length - 1} more` : ""}`);
  }
  return problems;
}
