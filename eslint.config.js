// Lint rules: type-aware checks that catch the async mistakes an operator cannot afford
// (floating promises), plus the layering rules of DESIGN §2: only src/runtime talks to the
// apiserver and only src/grpc (and the emulator, which *is* a gRPC server) to gRPC.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".local/", "src/grpc/gen/", "src/api/gen/", "src/emulator/gen/", "deploy/"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Plain JS entry points outside tsconfig (this file, the bin launchers) use a default project.
        projectService: { allowDefaultProject: ["eslint.config.js", "bin/*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      complexity: ["warn", 20],
      "max-params": ["error", 5],
    },
  },
  {
    files: ["src/controllers/**/*.ts", "src/api/**/*.ts", "src/grpc/**/*.ts", "src/emulator/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [{ name: "@kubernetes/client-node", message: "Only src/runtime talks to the apiserver (DESIGN §2)." }],
      }],
    },
  },
  {
    files: ["src/controllers/**/*.ts", "src/runtime/**/*.ts", "src/api/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          { name: "@kubernetes/client-node", message: "Only src/runtime talks to the apiserver (DESIGN §2)." },
          { name: "@grpc/grpc-js", message: "Only src/grpc talks to the K3 service (DESIGN §2)." },
        ],
      }],
    },
  },
  {
    files: ["src/runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [{ name: "@grpc/grpc-js", message: "src/runtime is generic: no K3 or gRPC knowledge." }],
        patterns: [{ group: ["**/grpc/**", "**/controllers/**", "**/emulator/**"], message: "src/runtime is generic: no K3 knowledge." }],
      }],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
      "no-restricted-imports": "off",
    },
  },
);
