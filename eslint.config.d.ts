// Types of eslint.config.js for the TypeScript code that imports it (test/unit/layering.test.ts).
import type { Linter } from "eslint";

/** The layering blocks of the lint configuration (no-restricted-imports per folder of src/). */
export declare const layering: Linter.Config[];
declare const config: Linter.Config[];
export default config;
