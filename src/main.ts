// The operator's entry point: configuration, logging, start, and graceful shutdown. A bad start
// (a flag value, a missing kubeconfig, an unreachable apiserver, CRDs not installed, a port in
// use) ends with one line on stderr naming the problem and the flag or env variable to fix,
// and exit code 2; only here does the process exit.
import { pino } from "pino";
import { ConfigError, loadConfig, type OperatorConfig } from "./config.js";
import { usage } from "./config-help.js";
import { startOperator } from "./operator.js";
import { preflightProblem } from "./preflight.js";
import { kubeconfigProblem, startFailureMessage } from "./start-checks.js";

/** Exit code of a start refused for bad configuration. */
const EXIT_BAD_CONFIG = 2;

function refuse(line: string): never {
  process.stderr.write(`k3-operator: ${line}\n`);
  process.exit(EXIT_BAD_CONFIG);
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(usage());
  process.exit(0);
}

const config = ((): OperatorConfig => {
  try {
    return loadConfig(argv);
  } catch (error) {
    if (error instanceof ConfigError) refuse(error.message);
    throw error;
  }
})();
const kubeconfig = kubeconfigProblem(config);
if (kubeconfig !== undefined) refuse(kubeconfig);

const unreachable = await preflightProblem(config);
if (unreachable !== undefined) refuse(unreachable);

const logger = pino({ level: config.logLevel, base: { component: "k3-operator" } });
logger.info({ endpoint: config.k3Endpoint, insecure: config.k3Insecure, namespaces: config.namespaces, workers: config.workers }, "starting");

// A replica that lost the Lease exits 1, like a controller-runtime manager, and restarts clean.
const operator = await startOperator(config, logger, { onLeaderLost: () => process.exit(1) }).catch((error: unknown) => {
  const line = startFailureMessage(error, config);
  if (line !== undefined) refuse(line);
  throw error;
});
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    void operator.stop().then(() => {
      logger.info({}, "stopped");
      process.exit(0);
    });
  });
}
