// The `kubectl k3` plugin: reads the command line, builds the apiserver client and hands over to
// one subcommand. Exit codes: 0 done, 1 a failed run, a timeout or an API error, 2 a usage error.
import { KubeApiError } from "../runtime/index.js";
import { parseCommandLine, usage, UsageError, type ParsedArgs } from "./args.js";
import { createCliContext, type CliContext, type Streams } from "./context.js";
import { FollowTimeout } from "./follow.js";
import { listJobs, runJob } from "./jobs.js";
import { oauthConsent } from "./oauth.js";
import { requestRun } from "./sync.js";
import { showTree } from "./tree.js";

type Command = (ctx: CliContext, args: string[]) => Promise<number>;

function one(what: string, run: (ctx: CliContext, name: string) => Promise<number>): Command {
  return (ctx, args) => {
    if (args.length !== 1) throw new UsageError(`expected exactly one ${what}`);
    return run(ctx, args[0]!);
  };
}

function atMostOne(what: string, run: (ctx: CliContext, name: string | undefined) => Promise<number>): Command {
  return (ctx, args) => {
    if (args.length > 1) throw new UsageError(`expected at most one ${what}`);
    return run(ctx, args[0]);
  };
}

const commands: Record<string, Command> = {
  tree: atMostOne("KIND/NAME", showTree),
  discover: one("K3Source name", (ctx, name) => requestRun(ctx, "discovery", name)),
  ingest: one("K3Source name", (ctx, name) => requestRun(ctx, "ingestion", name)),
  run: one("K3IngestRule name", runJob),
  jobs: atMostOne("K3IngestRule name", listJobs),
  oauth: one("K3Source name", oauthConsent),
  // loaded on demand: the gRPC stack costs every other command's start-up time
  templates: atMostOne("template name", async (ctx, name) => (await import("./templates.js")).showTemplates(ctx, name)),
};

/** The commands that read across namespaces with -A; the others write to one object. */
const listing = new Set(["tree", "jobs"]);

/** Runs the plugin with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], streams: Streams = { out: process.stdout, err: process.stderr, in: process.stdin }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseCommandLine(argv, env);
    if (parsed.flags.help || parsed.command === "help") {
      streams.out.write(`${usage}\n`);
      return 0;
    }
    if (!parsed.command) throw new UsageError("no command given");
    if (!commands[parsed.command]) throw new UsageError(`unknown command ${JSON.stringify(parsed.command)}`);
    if (parsed.flags.watch && parsed.command !== "tree") throw new UsageError(`-w applies to tree only: ${parsed.command} ends by itself (follow a run with --wait)`);
    if (parsed.flags.allNamespaces && !listing.has(parsed.command)) throw new UsageError(`-A applies to ${[...listing].join(" and ")} only: ${parsed.command} acts on one object, name its namespace with -n`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    streams.err.write(`error: ${err.message}\n\n${usage}\n`);
    return 2;
  }
  try {
    const ctx = createCliContext(parsed.flags, streams, env);
    return await commands[parsed.command]!(ctx, parsed.positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      streams.err.write(`error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof FollowTimeout || err instanceof KubeApiError) {
      streams.err.write(`error: ${err.message}\n`);
      return 1;
    }
    streams.err.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
