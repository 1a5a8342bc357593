// The operator's entry point: configuration, logging, start, and graceful shutdown.
import { pino } from "pino";
import { loadConfig } from "./config.js";
import { startOperator } from "./operator.js";

const config = (() => {
  try {
    return loadConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`k3-operator: ${(err as Error).message}\n`);
    process.exit(2);
  }
})();
const logger = pino({ level: config.logLevel, base: { component: "k3-operator" } });
logger.info({ endpoint: config.k3Endpoint, insecure: config.k3Insecure, namespaces: config.namespaces, workers: config.workers }, "starting");

const operator = await startOperator(config, logger);
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
