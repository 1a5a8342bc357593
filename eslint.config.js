// Lint rules: type-aware checks that catch the async mistakes an operator cannot afford
// (floating promises), plus the layering rules of DESIGN §2, one block per folder of src/ so
// that none goes unchecked (test/unit/layering.test.ts proves each rule bites):
//   runtime       the only code that talks to the apiserver; generic: no K3, no gRPC
//   grpc          the only code that talks to the K3 service
//   api           CR types and condition helpers: no I/O of either kind
//   controllers   adapters: the apiserver through runtime, K3 through src/grpc's client (not gen/)
//   emulator      a gRPC server of its own: gen/ allowed, nothing of the operator
//   controlplane  builds and runs the local cluster: nothing of the operator or the service
//   cli           the kubectl-k3 plugin: the apiserver through runtime's client, CR types from api,
//                 K3 (templates only) through src/grpc's client; no gen/, controllers or wiring
//   src/*.ts      wiring (operator, main, config, preflight): no gen/, emulator or controlplane
import tseslint from "typescript-eslint";

const kubeClient = { name: "@kubernetes/client-node", message: "Only src/runtime talks to the apiserver (DESIGN §2)." };
const grpcJs = { name: "@grpc/grpc-js", message: "Only src/grpc (and the emulator, a gRPC server) speak gRPC (DESIGN §2)." };

/**
 * A no-restricted-imports block for `files`, forbidding these packages and folders of src/.
 * @param {string[]} files
 * @param {{ packages?: { name: string, message: string }[], folders?: string[], why: string }} options
 */
function layer(files, { packages = [], folders = [], why }) {
  return {
    files,
    rules: {
      "no-restricted-imports": ["error", {
        paths: packages,
        patterns: folders.length === 0 ? [] : [{ group: folders.map((folder) => `**/${folder}`), message: why }],
      }],
    },
  };
}

/** The layering blocks, exported for test/unit/layering.test.ts. */
export const layering = [
  layer(["src/runtime/**/*.ts"], {
    packages: [grpcJs],
    folders: ["grpc/**", "api/**", "controllers/**", "emulator/**", "controlplane/**", "operator.js", "main.js", "config.js"],
    why: "src/runtime is generic: no K3 knowledge, no wiring (DESIGN §2).",
  }),
  layer(["src/grpc/**/*.ts"], {
    packages: [kubeClient],
    folders: ["runtime/**", "api/**", "controllers/**", "emulator/**", "controlplane/**", "operator.js", "main.js", "config.js"],
    why: "src/grpc knows the K3 service only (DESIGN §2).",
  }),
  layer(["src/api/**/*.ts"], {
    packages: [kubeClient, grpcJs],
    folders: ["runtime/**", "grpc/**", "controllers/**", "emulator/**", "controlplane/**", "operator.js", "main.js", "config.js"],
    why: "src/api holds types and pure helpers (DESIGN §2).",
  }),
  layer(["src/controllers/**/*.ts"], {
    packages: [kubeClient, grpcJs],
    folders: ["grpc/gen/**", "emulator/**", "controlplane/**", "operator.js", "main.js"],
    why: "Controllers reach the apiserver through src/runtime and K3 through src/grpc's client, never gen/ or the emulator (DESIGN §2).",
  }),
  layer(["src/emulator/**/*.ts"], {
    packages: [kubeClient],
    folders: ["runtime/**", "api/**", "controllers/**", "controlplane/**", "operator.js", "main.js", "config.js"],
    why: "The emulator stands in for the K3 service: nothing of the operator (DESIGN §2).",
  }),
  layer(["src/controlplane/**/*.ts"], {
    packages: [kubeClient, grpcJs],
    folders: ["runtime/**", "grpc/**", "api/**", "controllers/**", "emulator/**", "operator.js", "main.js", "config.js"],
    why: "src/controlplane builds and runs the local cluster; it knows nothing of the operator (DESIGN §2).",
  }),
  layer(["src/cli/**/*.ts"], {
    packages: [kubeClient, grpcJs],
    folders: ["grpc/gen/**", "controllers/**", "emulator/**", "controlplane/**", "operator.js", "main.js", "config.js"],
    why: "The kubectl plugin reaches the apiserver through src/runtime and K3 through src/grpc's client, never gen/ or the operator's insides (DESIGN §2).",
  }),
  layer(["src/*.ts"], {
    packages: [kubeClient, grpcJs],
    folders: ["grpc/gen/**", "emulator/**", "controlplane/**"],
    why: "The wiring uses src/runtime, src/grpc's client and the controllers, never gen/, the emulator or the control-plane tools (DESIGN §2).",
  }),
];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".local/", "src/grpc/gen/", "src/api/gen/", "deploy/"] },
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
  ...layering,
  {
    files: ["**/*.test.ts", "test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
      "no-restricted-imports": "off",
    },
  },
);
