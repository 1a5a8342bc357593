// Throw-away Go "wrapper" modules: a main package of an upstream module cannot always be
// built with `go install pkg@version` (k8s.io/kubernetes and etcd's server replace their
// sibling modules with local paths), so we require the upstream module from a module of our
// own, restate those replaces against published versions, and `go build` its main packages.

/** The content of one wrapper module (rendered into go.mod and tools.go). */
export interface WrapperModule {
  /** `go` directive, copied from the upstream module so language semantics match. */
  go: string;
  /** `godebug` lines, copied from the upstream module (they change runtime defaults). */
  godebug: string[];
  requires: Readonly<Record<string, string>>;
  replaces: Readonly<Record<string, string>>;
  /** Packages imported by tools.go so that `go mod tidy` keeps their requirements. */
  imports: string[];
}

/** The module path every wrapper uses; it never leaves the cache folder. */
export const wrapperModulePath = "k3operator.local/controlplane";

/** Renders a wrapper's go.mod; requirements of dependencies are left to `go mod tidy`. */
export function renderGoMod(module: WrapperModule): string {
  const lines = [`module ${wrapperModulePath}`, "", `go ${module.go}`, ""];
  for (const godebug of module.godebug) lines.push(`godebug ${godebug}`);
  if (module.godebug.length > 0) lines.push("");
  for (const [path, version] of Object.entries(module.requires)) lines.push(`require ${path} ${version}`);
  lines.push("");
  for (const [path, version] of Object.entries(module.replaces)) lines.push(`replace ${path} => ${path} ${version}`);
  return lines.join("\n") + "\n";
}

/** Renders tools.go: blank imports behind a build tag, so nothing is ever compiled from it. */
export function renderToolsGo(module: WrapperModule): string {
  const imports = module.imports.map((path) => `\t_ "${path}"`).join("\n");
  return `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`;
}

/** The `go`, `godebug` and local-path `replace` directives of an upstream go.mod. */
export interface GoModFacts {
  go: string;
  godebug: string[];
  /** Module paths replaced by a directory inside the upstream repository (`=> ./…`). */
  localReplaces: string[];
}

/** Reads the few directives a wrapper must restate from an upstream go.mod's text. */
export function parseGoMod(text: string): GoModFacts {
  const go = /^go[ \t]+(\S+)[ \t]*$/m.exec(text)?.[1];
  if (!go) throw new Error("go.mod has no go directive");
  const godebug = [...text.matchAll(/^godebug[ \t]+(\S+)[ \t]*$/gm)].map((m) => m[1] ?? "");
  // One line per replace, inside a `replace (…)` block or not; [ \t] keeps a match on its line.
  const localReplaces = [...text.matchAll(/^[ \t]*(?:replace[ \t]+)?(\S+)(?:[ \t]+\S+)?[ \t]+=>[ \t]+\.{1,2}\/\S*[ \t]*$/gm)]
    .map((m) => m[1] ?? "");
  return { go, godebug, localReplaces };
}

/** The commands the control plane's wrapper builds by default. */
export const controlPlaneCommands = ["k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kubectl"];

/**
 * The wrapper for Kubernetes commands (by default kube-apiserver and kubectl): requires
 * k8s.io/kubernetes and pins every staging module it replaces locally
 * (`k8s.io/api => ./staging/…`) to its published twin.
 */
export function kubernetesWrapper(options: { upstreamGoMod: string; version: string; stagingVersion: string; imports?: string[] }): WrapperModule {
  const facts = parseGoMod(options.upstreamGoMod);
  const staging = facts.localReplaces.filter((path) => path.startsWith("k8s.io/"));
  if (staging.length === 0) throw new Error("k8s.io/kubernetes go.mod lists no staging modules");
  return {
    go: facts.go,
    godebug: facts.godebug,
    requires: { "k8s.io/kubernetes": options.version },
    replaces: Object.fromEntries(staging.map((path) => [path, options.stagingVersion])),
    imports: options.imports ?? controlPlaneCommands,
  };
}

/**
 * A wrapper that requires one module whose own requirements are all published versions
 * (etcd's server, helm): its local replaces only serve development upstream.
 */
export function plainWrapper(options: { upstreamGoMod: string; module: string; version: string; imports: string[] }): WrapperModule {
  const facts = parseGoMod(options.upstreamGoMod);
  return { go: facts.go, godebug: facts.godebug, requires: { [options.module]: options.version }, replaces: {}, imports: options.imports };
}

/** `-X` linker flags that stamp a Kubernetes version into component-base and client-go. */
export function kubernetesVersionLdflags(version: string, buildDate: string): string[] {
  const match = /^v(\d+)\.(\d+)\.\d+/.exec(version);
  if (!match) throw new Error(`not a Kubernetes release version: ${version}`);
  const values = { gitVersion: version, gitMajor: match[1], gitMinor: match[2], gitTreeState: "clean", buildDate };
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) =>
    Object.entries(values).map(([name, value]) => `-X ${pkg}.${name}=${value}`),
  );
}
