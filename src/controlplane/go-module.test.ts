import { describe, expect, it } from "vitest";
import { kubernetesVersionLdflags, kubernetesWrapper, parseGoMod, plainWrapper, renderGoMod, renderToolsGo } from "./go-module.js";

const kubernetesGoMod = `// generated
module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
\tgithub.com/spf13/cobra v1.9.1
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
)
`;

describe("parseGoMod", () => {
  it.each([
    { reason: "block replaces to local folders are listed", text: kubernetesGoMod, go: "1.24.0", godebug: ["default=go1.24"], local: ["k8s.io/api", "k8s.io/client-go"] },
    {
      reason: "single-line and versioned replaces count, replaces to published versions do not",
      text: "module x\n\ngo 1.24\n\nreplace a.io/b => ../b\nreplace a.io/c v1.0.0 => ./c\nreplace a.io/d => a.io/d v1.2.3\n",
      go: "1.24", godebug: [], local: ["a.io/b", "a.io/c"],
    },
  ])("$reason", ({ text, go, godebug, local }) => {
    expect(parseGoMod(text)).toEqual({ go, godebug, localReplaces: local });
  });

  it("rejects a go.mod without go directive", () => {
    expect(() => parseGoMod("module x\n")).toThrow(/no go directive/);
  });
});

describe("kubernetesWrapper", () => {
  it("pins every staging module to its published twin and keeps go and godebug", () => {
    const wrapper = kubernetesWrapper({ upstreamGoMod: kubernetesGoMod, version: "v1.34.4", stagingVersion: "v0.34.4" });
    const goMod = renderGoMod(wrapper);
    expect(goMod).toContain("go 1.24.0\n");
    expect(goMod).toContain("godebug default=go1.24\n");
    expect(goMod).toContain("require k8s.io/kubernetes v1.34.4\n");
    expect(goMod).toContain("replace k8s.io/api => k8s.io/api v0.34.4\n");
    expect(goMod).toContain("replace k8s.io/client-go => k8s.io/client-go v0.34.4\n");
    expect(renderToolsGo(wrapper)).toContain('\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n');
  });

  it("imports the commands it is asked for instead of the control plane's (the cluster components)", () => {
    const imports = ["k8s.io/kubernetes/cmd/kubelet", "k8s.io/kubernetes/cmd/kube-controller-manager"];
    const tools = renderToolsGo(kubernetesWrapper({ upstreamGoMod: kubernetesGoMod, version: "v1.34.4", stagingVersion: "v0.34.4", imports }));
    expect(tools).toContain('\t_ "k8s.io/kubernetes/cmd/kubelet"\n');
    expect(tools).toContain('\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n');
    expect(tools).not.toContain("kube-apiserver");
  });

  it("refuses a go.mod that names no staging module (the wrapper would not build)", () => {
    expect(() => kubernetesWrapper({ upstreamGoMod: "module x\n\ngo 1.24\n", version: "v1.34.4", stagingVersion: "v0.34.4" })).toThrow(/no staging/);
  });
});

describe("plainWrapper", () => {
  it("requires the module only, ignoring upstream's local replaces", () => {
    const goMod = renderGoMod(plainWrapper({ upstreamGoMod: "module e\n\ngo 1.24\n\nreplace a => ../a\n", module: "e", version: "v3.6.5", imports: ["e"] }));
    expect(goMod).toContain("require e v3.6.5\n");
    expect(goMod).not.toContain("replace");
  });
});

describe("kubernetesVersionLdflags", () => {
  it("stamps the version into component-base and client-go, so kubectl and helm do not see v0.0.0", () => {
    const flags = kubernetesVersionLdflags("v1.34.4", "2026-11-29T00:00:00Z");
    expect(flags).toContain("-X k8s.io/component-base/version.gitVersion=v1.34.4");
    expect(flags).toContain("-X k8s.io/client-go/pkg/version.gitVersion=v1.34.4");
    expect(flags).toContain("-X k8s.io/client-go/pkg/version.gitMinor=34");
    expect(flags).toContain("-X k8s.io/component-base/version.gitMajor=1");
  });

  it("rejects a version that is not a release", () => {
    expect(() => kubernetesVersionLdflags("main", "now")).toThrow(/not a Kubernetes release/);
  });
});
