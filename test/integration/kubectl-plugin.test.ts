// The kubectl-k3 plugin as a user runs it: put on PATH, found by the real kubectl as `kubectl k3`,
// against the real control plane, with the operator and the emulator behind the objects it reads
// and writes. Output here is a pipe (not a terminal): plain lines, no colours, no bars.
import { spawn } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse, stringify } from "yaml";
import type { K3IngestJob, K3IngestRule, K3Source } from "../../src/api/gen/index.js";
import { deriveObjects } from "../../src/emulator/objects.js";
import { kubectlPath } from "../../src/controlplane/binaries.js";
import { runCommand, type CommandResult } from "../../src/controlplane/exec.js";
import { sourcev1 } from "../../src/grpc/index.js";
import type { RunningOperator } from "../../src/operator.js";
import { kubectlOk, namespaceName, testCluster } from "../support/kube.js";
import { conditionOf, eventually, getObject, installCrds, namespacePool, startTestOperator, startTestService, type TestService } from "../support/operator.js";

let service: TestService;
let operator: RunningOperator;
let pool: Awaited<ReturnType<typeof namespacePool>>;
let pluginPath: string;

const S3 = { bucket: "acme-reports", region: "eu-west-1", prefix: "reports/2026/" };
const objectKeys = deriveObjects(sourcev1.Source.fromPartial({ type: sourcev1.SourceType.SOURCE_TYPE_S3, s3: { ...S3, endpoint: "" } })).map((o) => o.key);
const goodKeys = objectKeys.filter((k) => !k.includes("corrupt"));
const corruptKey = objectKeys.find((k) => k.includes("corrupt"))!;
const ansi = /\u001b\[/;

const k3 = (ns: string, name: string, spec: object) => ({ apiVersion: "k3.dodil.io/v1alpha1", kind: name, metadata: { namespace: ns }, spec });
const chain = (ns: string, trigger = "Manual") => [
  { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, type: "Opaque", stringData: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } },
  { ...k3(ns, "K3Source", { type: "S3", s3: S3, credential: { type: "AccessKey", secretRef: { name: "creds" } }, sync: { discoverOnCreate: false } }), metadata: { name: "reports", namespace: ns } },
  { ...k3(ns, "K3Pipeline", { template: { name: "document-chunker", version: "1.1.0" }, parameters: { chunkSize: 512 }, destinations: [{ name: "main", type: "VectorStore", config: { collection: "c" } }] }), metadata: { name: "chunker", namespace: ns } },
  { ...k3(ns, "K3IngestRule", { sourceRef: { name: "reports" }, pipelineRef: { name: "chunker" }, trigger: { type: trigger } }), metadata: { name: "rule", namespace: ns } },
];
const apply = (...objs: object[]): Promise<string> => kubectlOk(["apply", "-f", "-"], { input: objs.map((o) => stringify(o)).join("---\n") });

/** The environment of a user shell with the plugin's folder on PATH; NO_COLOR and the K3_* connection unset. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NO_COLOR" && key !== "FORCE_COLOR" && !key.startsWith("K3_")));
  return { ...env, PATH: `${pluginPath}${delimiter}${process.env["PATH"] ?? ""}`, ...extra };
}

/** `kubectl k3 ARGS --kubeconfig ADMIN` through the real kubectl's plugin lookup. */
function plugin(args: string[], options: { input?: string; kubeconfig?: string | null } = {}): Promise<CommandResult> {
  const kubeconfig = options.kubeconfig === null ? [] : ["--kubeconfig", options.kubeconfig ?? testCluster().kubeconfigPath];
  return runCommand(kubectlPath(), ["k3", ...args, ...kubeconfig], { env: userEnv(), input: options.input, timeoutMs: 120_000 });
}

async function readyChain(ns: string, trigger?: string): Promise<void> {
  await apply(...chain(ns, trigger));
  await eventually(async () => expect(conditionOf(await getObject("k3rule", ns, "rule"), "Ready")?.status).toBe("True"), 30_000);
}

beforeAll(async () => {
  await installCrds();
  service = await startTestService("kubectl-plugin");
  pool = await namespacePool("kctl", 9);
  operator = await startTestOperator(service, ["--resync-period", "1s", "--namespaces", pool.names.join(",")]);
  // Installed as a user would: the package's bin linked under the name kubectl looks for.
  pluginPath = join(testCluster().scratchDir, namespaceName("plugin-bin"));
  await mkdir(pluginPath, { recursive: true });
  await symlink(resolve("bin/kubectl-k3.js"), join(pluginPath, "kubectl-k3"));
});

afterAll(async () => {
  await operator?.stop();
  await service?.emulator.stop();
});

// Each plugin call starts Node and imports client-node (about 2 s idle, far more on a loaded machine):
// a test of several calls gets more than the suite's 30 s default.
describe("kubectl k3", { timeout: 180_000 }, () => {
  test("help and usage errors: --help exits 0, an unknown command or bad -o exits 2 naming it", async () => {
    const help = await plugin(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("kubectl k3 tree [KIND/NAME]");
    const unknown = await plugin(["bogus"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown command "bogus"');
    const badOutput = await plugin(["tree", "-o", "wide"]);
    expect(badOutput.exitCode).toBe(2);
    expect(badOutput.stderr).toContain("unsupported -o wide");
    const allForOne = await plugin(["discover", "reports", "-A"]);
    expect(allForOne.exitCode).toBe(2);
    expect(allForOne.stderr).toContain("-A applies to tree and jobs only");
  });

  test("tree: source → rules → pipeline → jobs with ids and counts, the failing branch first with its reason", async () => {
    const ns = pool.next();
    await readyChain(ns);
    await apply({ ...k3(ns, "K3IngestRule", { sourceRef: { name: "reports" }, pipelineRef: { name: "missing" }, trigger: { type: "Manual" } }), metadata: { name: "broken", namespace: ns } });
    await apply({ ...k3(ns, "K3IngestJob", { ruleRef: { name: "rule" }, objectKeys: goodKeys.slice(0, 2) }), metadata: { name: "two", namespace: ns } });
    await kubectlOk(["wait", "--for=condition=Complete", "k3job/two", "-n", ns, "--timeout=60s"]);
    await eventually(async () => expect(conditionOf(await getObject("k3rule", ns, "broken"), "Ready")?.reason).toBe("DependencyNotReady"));
    const rule = await getObject<K3IngestRule>("k3rule", ns, "rule");
    const source = await getObject<K3Source>("k3source", ns, "reports");

    const result = await plugin(["tree", "-n", ns]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toMatch(ansi);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(new RegExp(`^K3Source/reports  Ready=True  Synced=True  id=${source.status!.sourceId}`));
    expect(lines[1]).toMatch(/^├─ K3IngestRule\/broken  Ready=False .* — Ready=False DependencyNotReady: .*missing/);
    expect(lines[2]).toMatch(new RegExp(`^└─ K3IngestRule/rule  Ready=True  Synced=True  id=${rule.status!.ruleId}.*succeeded=2 failed=0`));
    expect(lines[3]).toMatch(/^ {3}└─ K3Pipeline\/chunker {2}Ready=True {2}Synced=True {2}id=\S+ {2}template document-chunker@1\.1\.0/);
    expect(lines[4]).toMatch(/^ {6}└─ K3IngestJob\/two {2}id=\S+ {2}Succeeded \d+s ago {2}succeeded=2 failed=0 total=2$/);

    // -o json: the same tree as data
    const json = JSON.parse((await plugin(["tree", "-n", ns, "-o", "json"])).stdout) as { name: string; failing: boolean; children: { name: string; failing: boolean }[] }[];
    expect(json.map((n) => [n.name, n.failing])).toEqual([["reports", true]]);
    expect(json[0]!.children.map((c) => [c.name, c.failing])).toEqual([["broken", true], ["rule", false]]);

    // KIND/NAME: only the branch leading to that object
    const focused = await plugin(["tree", "-n", ns, "k3rule/rule"]);
    expect(focused.stdout).not.toContain("broken");
    expect(focused.stdout).toContain("K3IngestJob/two");
    const missing = await plugin(["tree", "-n", ns, "k3pl/nope"]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`K3Pipeline/nope not found in namespace ${ns}`);

    // -A: every namespace, each under a header
    const all = await plugin(["tree", "-A", "-o", "yaml"]);
    const forests = parse(all.stdout) as { namespace: string }[];
    expect(forests.map((f) => f.namespace)).toContain(ns);
  });

  test("the namespace and context come from the kubeconfig like kubectl's: its context namespace, --context another", async () => {
    const ns = pool.next();
    await readyChain(ns);
    const admin = parse(await readFile(testCluster().kubeconfigPath, "utf8")) as { "current-context": string; contexts: { name: string; context: Record<string, string> }[] };
    const current = admin.contexts.find((c) => c.name === admin["current-context"])!;
    admin.contexts.push({ name: "plugin-ns", context: { ...current.context, namespace: ns } });
    const path = join(testCluster().scratchDir, `${ns}.kubeconfig`);
    await writeFile(path, stringify(admin), { mode: 0o600 });
    const withContext = await plugin(["tree", "--context", "plugin-ns"], { kubeconfig: path });
    expect(withContext.exitCode).toBe(0);
    expect(withContext.stdout).toMatch(/^K3Source\/reports/);
    // the same kubeconfig without --context: namespace "default", where nothing is
    const withoutContext = await plugin(["tree"], { kubeconfig: path });
    expect(withoutContext.stdout).toBe("");
    expect(withoutContext.stderr).toContain("no K3 objects found in namespace default");
    // $KUBECONFIG is honoured too
    const viaEnv = await runCommand(kubectlPath(), ["k3", "tree", "--context", "plugin-ns"], { env: userEnv({ KUBECONFIG: path }), timeoutMs: 60_000 });
    expect(viaEnv.stdout).toMatch(/^K3Source\/reports/);
  });

  test("discover --wait exits 0 when the run succeeds; ingest --full --wait follows the run, exits 1 for a failed object", async () => {
    const ns = pool.next();
    await readyChain(ns, "OnNewObject"); // a Manual rule takes no part in ingestion runs
    const discoveries = service.emulator.calls.get("TriggerDiscovery");
    const discover = await plugin(["discover", "reports", "-n", ns, "--wait"]);
    expect(discover.exitCode).toBe(0);
    expect(discover.stderr).not.toMatch(ansi);
    expect(discover.stdout).toMatch(new RegExp(`^k3source/reports discovery run \\S+ Succeeded ${objectKeys.length} done, 0 failed`));
    expect(service.emulator.calls.get("TriggerDiscovery")).toBe(discoveries + 1);
    let source = await getObject<K3Source>("k3source", ns, "reports");
    const requested = source.metadata.annotations?.["k3.dodil.io/requested-discovery-at"] ?? "";
    expect(new Date(requested).toISOString()).toBe(requested); // RFC 3339
    expect(source.status?.sync?.lastHandledDiscoveryAt).toBe(requested);

    const ingest = await plugin(["ingest", "reports", "-n", ns, "--full", "--wait", "-o", "json"]);
    expect(ingest.exitCode).toBe(1);
    const run = JSON.parse(ingest.stdout) as { state: string; fullSync: boolean; objectsFailed: number; objectsIngested: number };
    expect(run).toMatchObject({ state: "Succeeded", fullSync: true, objectsFailed: 1, objectsIngested: objectKeys.length - 1 });
    // a pipe gets one plain line per change, ending with the final count against the discovered total
    const progress = ingest.stderr.trimEnd().split("\n");
    expect(progress.at(-1)).toBe(`k3source/reports ingestion Succeeded ${objectKeys.length}/${objectKeys.length} done, 1 failed`);
    expect(new Set(progress).size).toBe(progress.length);
    source = await getObject<K3Source>("k3source", ns, "reports");
    expect(source.metadata.annotations?.["k3.dodil.io/full-sync"]).toBe("true");
    const fullAt = source.metadata.annotations?.["k3.dodil.io/requested-ingestion-at"];

    // without --full the annotation is cleared, so the flag means what it says; without --wait it returns at once
    const quick = await plugin(["ingest", "reports", "-n", ns]);
    expect(quick.exitCode).toBe(0);
    source = await getObject<K3Source>("k3source", ns, "reports");
    expect(source.metadata.annotations?.["k3.dodil.io/full-sync"]).toBeUndefined();
    expect(source.metadata.annotations?.["k3.dodil.io/requested-ingestion-at"]).not.toBe(fullAt);
  });

  test("run --keys --wait creates a K3IngestJob and follows it (0 / 1); jobs lists them with the failed objects", async () => {
    const ns = pool.next();
    await readyChain(ns);
    const good = await plugin(["run", "rule", "-n", ns, "--keys", goodKeys.slice(0, 3).join(","), "--wait"]);
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/^k3ingestjob\/rule-\w+ rule=rule Succeeded succeeded=3 failed=0 total=3/);
    expect(good.stderr.trimEnd().split("\n").at(-1)).toMatch(/^k3ingestjob\/rule-\w+ Succeeded 3\/3 done, 0 failed$/);
    const bad = await plugin(["run", "rule", "-n", ns, "--keys", `${goodKeys[0]!},${corruptKey}`, "--wait"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain(`✗ ${corruptKey}: `);

    const jobs = JSON.parse(await kubectlOk(["get", "k3job", "-n", ns, "-o", "json"])) as { items: K3IngestJob[] };
    expect(jobs.items).toHaveLength(2);
    expect(jobs.items.map((j) => j.spec.objectKeys?.length).sort()).toEqual([2, 3]);
    const listed = await plugin(["jobs", "rule", "-n", ns]);
    expect(listed.exitCode).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/rule=rule Failed succeeded=1 failed=1 total=2 age=\d+s — /); // newest first
    expect(lines[1]).toMatch(new RegExp(`^ {2}✗ ${corruptKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .+ \\(attempts \\d+\\)$`));
    expect(lines[2]).toMatch(/rule=rule Succeeded succeeded=3 failed=0 total=3/);
    expect((await plugin(["jobs", "other", "-n", ns])).stdout).toBe("");
    const yaml = parse((await plugin(["jobs", "-n", ns, "-o", "yaml"])).stdout) as { items: K3IngestJob[] };
    expect(yaml.items).toHaveLength(2);
  });

  test("tree --watch: drawn again when an object changes, a block per change, until Ctrl-C (exit 0)", async () => {
    const ns = pool.next();
    await readyChain(ns);
    const child = spawn(kubectlPath(), ["k3", "tree", "-w", "-n", ns, "--kubeconfig", testCluster().kubeconfigPath], { env: userEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number>((done) => child.on("exit", (code) => done(code ?? -1)));
    try {
      await expect.poll(() => stdout, { timeout: 60_000 }).toContain("K3Pipeline/chunker  Ready=True");
      // a rule naming a pipeline that does not exist: a new branch, failing, drawn without asking
      await apply({ ...k3(ns, "K3IngestRule", { sourceRef: { name: "reports" }, pipelineRef: { name: "missing" }, trigger: { type: "Manual" } }), metadata: { name: "late", namespace: ns } });
      await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/K3IngestRule\/late  Ready=False .*DependencyNotReady/);
      // a change the tree does not show (an annotation) draws nothing; the rule's deletion does
      await kubectlOk(["annotate", "k3pl/chunker", "-n", ns, "note=unrelated"]);
      await new Promise((done) => setTimeout(done, 1500));
      await kubectlOk(["delete", "k3rule/late", "-n", ns, "--wait=false"]);
      await expect.poll(() => stdout.split(/^--- /m).at(-1) ?? "", { timeout: 30_000 }).not.toContain("K3IngestRule/late");
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    const blocks = stdout.split(/^--- \d\d:\d\d:\d\d$/m).filter((b) => b.trim() !== "");
    // the first block has no "late", a later one shows it failing, the last has it gone again;
    // no block repeats its predecessor (the annotation drew nothing)
    expect(blocks[0]).not.toContain("K3IngestRule/late");
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]).not.toBe(blocks[i - 1]);
    expect(stdout).not.toMatch(ansi);
    const misuse = await plugin(["jobs", "-w", "-n", ns]);
    expect(misuse.exitCode).toBe(2);
    expect(misuse.stderr).toContain("-w applies to tree only");
  });

  test("oauth: prints the consent URL, takes the pasted redirect URL, stores it under code, waits for CredentialReady", async () => {
    const ns = pool.next();
    await apply(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "drive-oauth", namespace: ns }, type: "Opaque", stringData: { note: "kept" } },
      { ...k3(ns, "K3Source", { type: "GoogleDrive", googleDrive: { folderId: "folder-1" }, credential: { type: "OAuth", secretRef: { name: "drive-oauth" }, oauth: { provider: "Google", redirectUri: "https://k3.dodil.io/oauth/callback" } } }), metadata: { name: "drive", namespace: ns } },
    );
    const child = spawn(kubectlPath(), ["k3", "oauth", "drive", "-n", ns, "--kubeconfig", testCluster().kubeconfigPath], { env: userEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((done) => child.on("exit", (code) => done(code ?? -1)));
    const url = await new Promise<URL>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no consent URL printed; stderr: ${stderr}`)), 60_000);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split("\n")[0];
        if (stdout.includes("\n") && line) {
          clearTimeout(timer);
          done(new URL(line));
        }
      });
    });
    expect(url.hostname).toBe("oauth.k3-emulator.invalid");
    const state = url.searchParams.get("state")!;
    // what the browser lands on after consent, pasted whole
    child.stdin.end(`https://k3.dodil.io/oauth/callback?code=consent-${state}&state=${state}\n`);
    expect(await exited).toBe(0);
    expect(stdout).toContain("k3source/drive: CredentialReady=True");
    expect(conditionOf(await getObject("k3source", ns, "drive"), "CredentialReady")?.status).toBe("True");
    const secret = await getObject<{ data: Record<string, string> }>("secret", ns, "drive-oauth");
    expect(Buffer.from(secret.data["code"]!, "base64").toString()).toContain(`code=consent-${state}`);
    expect(Buffer.from(secret.data["note"]!, "base64").toString()).toBe("kept");
    // consented already: nothing to do, exit 0 without reading stdin
    const again = await plugin(["oauth", "drive", "-n", ns]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("ready already");
  });

  test("on a terminal: colours and a redrawn progress bar; NO_COLOR keeps the bar and drops the colours", async () => {
    const ns = pool.next();
    await readyChain(ns);
    const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;
    // util-linux `script` gives the plugin a pseudo-terminal, as an interactive shell would
    const onTerminal = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CommandResult> =>
      runCommand("script", ["-qec", [kubectlPath(), "k3", ...args, "--kubeconfig", testCluster().kubeconfigPath].map(quote).join(" "), "/dev/null"], { env: userEnv(extra), timeoutMs: 120_000 });
    const colored = await onTerminal(["run", "rule", "-n", ns, "--keys", goodKeys.slice(0, 2).join(","), "--wait"]);
    expect(colored.exitCode).toBe(0);
    expect(colored.stdout).toContain("\r\u001b[2K"); // the line redrawn in place
    expect(colored.stdout).toContain(`[${"#".repeat(30)}] Succeeded 2/2 done, 0 failed`);
    expect(colored.stdout).toContain("\u001b[32mSucceeded\u001b[0m");
    const tree = await onTerminal(["tree", "-n", ns]);
    expect(tree.stdout).toContain("\u001b[32mReady=True\u001b[0m");
    const plain = await onTerminal(["run", "rule", "-n", ns, "--keys", goodKeys[0]!, "--wait"], { NO_COLOR: "1" });
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain("\r\u001b[2K");
    expect(plain.stdout).not.toMatch(/\u001b\[\d+m/);
  });

  test("templates: the catalog with each parameter, through the operator-wide flags or a namespace's connection Secret", async () => {
    const ns = pool.next();
    const flags = ["--k3-endpoint", service.emulator.address, "--k3-insecure", "--k3-token-file", service.tokenFile];
    const catalog = await plugin(["templates", ...flags]);
    expect(catalog.exitCode).toBe(0);
    expect(catalog.stdout).toMatch(/^document-chunker {2}latest \S+/m);
    expect(catalog.stdout).toMatch(/^ {4}chunkSize {2}integer\b/m);
    const one = JSON.parse((await plugin(["templates", "document-chunker", "-o", "json", ...flags])).stdout) as { items: { name: string; versions: { version: string; parameters: { name: string }[] }[] }[] };
    expect(one.items.map((t) => t.name)).toEqual(["document-chunker"]);
    expect(one.items[0]!.versions.map((v) => v.version)).toContain("1.1.0");
    expect(one.items[0]!.versions.flatMap((v) => v.parameters.map((p) => p.name))).toContain("chunkSize");
    // the same through a connection Secret, as objects with spec.connectionRef use
    const token = (await readFile(service.tokenFile, "utf8")).trim();
    await apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "k3-conn", namespace: ns }, type: "k3.dodil.io/connection", stringData: { token, endpoint: service.emulator.address, insecure: "true" } });
    const viaSecret = await plugin(["templates", "document-chunker", "-n", ns, "--connection", "k3-conn"]);
    expect(viaSecret.exitCode).toBe(0);
    expect(viaSecret.stdout).toMatch(/^ {2}1\.1\.0/m);
    // no connection at all: a usage error naming the flags
    const none = await plugin(["templates"]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("--k3-endpoint and --k3-token-file");
  });

  test("oauth: a code the service refuses ends with exit 1 and the operator's reason", async () => {
    const ns = pool.next();
    await apply(
      { apiVersion: "v1", kind: "Secret", metadata: { name: "drive-oauth", namespace: ns }, type: "Opaque" },
      { ...k3(ns, "K3Source", { type: "GoogleDrive", googleDrive: { folderId: "folder-1" }, credential: { type: "OAuth", secretRef: { name: "drive-oauth" }, oauth: { provider: "Google", redirectUri: "https://k3.dodil.io/oauth/callback" } } }), metadata: { name: "drive", namespace: ns } },
    );
    const result = await plugin(["oauth", "drive", "-n", ns, "--timeout", "60s"], { input: "not-the-code\n" });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^https:\/\/oauth\.k3-emulator\.invalid\//);
    expect(result.stderr).toContain("k3source/drive: the service refused the consent code");
    expect(conditionOf(await getObject("k3source", ns, "drive"), "CredentialReady")).toMatchObject({ status: "False", reason: "CredentialInvalid" });
  });
});
