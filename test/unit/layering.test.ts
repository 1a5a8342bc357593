// The layering rules of eslint.config.js bite: for every folder of src/, each import it must not
// make is refused, and a representative import it may make passes. Linted with only the
// layering blocks (no type information needed), on made-up file paths inside each folder.
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { layering } from "../../eslint.config.js";

const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, ...layering],
});

async function refused(filePath: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import "${specifier}";\n`, { filePath });
  return (result?.messages ?? []).some((m) => m.ruleId === "no-restricted-imports");
}

const cases: { file: string; forbidden: string[]; allowed: string[] }[] = [
  { file: "src/runtime/x.ts", forbidden: ["@grpc/grpc-js", "../grpc/index.js", "../api/keys.js", "../controllers/resources.js", "../emulator/index.js", "../controlplane/exec.js", "../operator.js", "../config.js"], allowed: ["@kubernetes/client-node", "./kube-client.js", "pino"] },
  { file: "src/grpc/x.ts", forbidden: ["@kubernetes/client-node", "../runtime/index.js", "../api/keys.js", "../controllers/classify.js", "../emulator/index.js", "../controlplane/exec.js", "../main.js"], allowed: ["@grpc/grpc-js", "./gen/dodil/k3/source/v1/source.js"] },
  { file: "src/api/x.ts", forbidden: ["@kubernetes/client-node", "@grpc/grpc-js", "../runtime/index.js", "../grpc/index.js", "../controllers/classify.js", "../emulator/index.js", "../controlplane/exec.js"], allowed: ["./object-meta.js", "yaml"] },
  { file: "src/controllers/pipeline/x.ts", forbidden: ["@kubernetes/client-node", "@grpc/grpc-js", "../../grpc/gen/dodil/k3/pipeline/v1/pipeline.js", "../../emulator/index.js", "../../controlplane/exec.js", "../../operator.js", "../../main.js"], allowed: ["../../runtime/index.js", "../../grpc/index.js", "../../api/keys.js"] },
  { file: "src/emulator/services/x.ts", forbidden: ["@kubernetes/client-node", "../../runtime/index.js", "../../api/keys.js", "../../controllers/classify.js", "../../controlplane/exec.js", "../../operator.js", "../../config.js"], allowed: ["@grpc/grpc-js", "../../grpc/gen/dodil/k3/ingest/v1/ingest.js", "../store.js"] },
  { file: "src/controlplane/x.ts", forbidden: ["@kubernetes/client-node", "@grpc/grpc-js", "../runtime/index.js", "../grpc/index.js", "../api/keys.js", "../controllers/classify.js", "../emulator/index.js", "../operator.js", "../config.js"], allowed: ["./exec.js", "yaml"] },
  { file: "src/cli/x.ts", forbidden: ["@kubernetes/client-node", "@grpc/grpc-js", "../grpc/gen/dodil/k3/source/v1/source.js", "../controllers/resources.js", "../emulator/index.js", "../controlplane/exec.js", "../operator.js", "../main.js", "../config.js"], allowed: ["../runtime/index.js", "../grpc/index.js", "../api/keys.js", "../api/gen/index.js", "./args.js", "yaml"] },
  { file: "src/main.ts", forbidden: ["@kubernetes/client-node", "@grpc/grpc-js", "./grpc/gen/dodil/k3/source/v1/source.js", "./emulator/index.js", "./controlplane/exec.js"], allowed: ["./runtime/index.js", "./controllers/resources.js", "./config.js", "./operator.js"] },
  { file: "src/operator.ts", forbidden: ["./grpc/gen/dodil/k3/pipeline/v1/pipeline.js", "./emulator/index.js", "./controlplane/build.js"], allowed: ["./grpc/index.js", "./runtime/index.js"] },
];

describe("layering rules", () => {
  describe.each(cases)("$file", ({ file, forbidden, allowed }) => {
    it.each(forbidden)("refuses an import of %s", async (specifier) => {
      expect(await refused(file, specifier)).toBe(true);
    });
    it.each(allowed)("allows an import of %s", async (specifier) => {
      expect(await refused(file, specifier)).toBe(false);
    });
  });

  it("covers every folder of src/", async () => {
    const { readdirSync } = await import("node:fs");
    const folders = readdirSync("src", { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const covered = [...new Set(cases.map((c) => c.file.split("/")[1]).filter((name) => !name!.endsWith(".ts")))].sort();
    expect(covered).toEqual(folders);
  });
});
