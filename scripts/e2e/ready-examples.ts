// Prints the examples of every kind that has a controller (scripts/local/examples.ts
// `readyKinds`) as one YAML stream, for `kubectl apply -f -` in test/e2e/kind.sh.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadExamples, readyKinds, selectExamples, toYamlStream } from "../local/examples.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const { apply } = selectExamples(await loadExamples(join(root, "examples")), readyKinds);
process.stdout.write(toYamlStream(apply));
