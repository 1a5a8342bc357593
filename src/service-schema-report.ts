// At start, once: does the operator-wide K3 endpoint serve the services as this build knows
// them? The field numbers of proto/ are ours until the service publishes its protos, so a
// difference is reported where an operator looks first (a warn line per difference, and the
// k3_external_schema_differences gauge for an alert), never by failing the start: an endpoint
// may well serve a compatible superset, which is not reported at all.
import { readFile } from "node:fs/promises";
import type { Logger as PinoLogger } from "pino";
import type { OperatorConfig } from "./config.js";
import { checkServiceSchema, k3ChannelCredentials } from "./grpc/index.js";
import type { OperatorMetrics } from "./runtime/index.js";

/** How long the one reflection exchange may take. */
const CHECK_TIMEOUT_MS = 10_000;

/** What the check found, for the caller's tests: the differences, or why there are none to tell. */
export type ServiceSchemaReport = { outcome: "compared"; differences: string[] } | { outcome: "not-offered" } | { outcome: "failed"; error: string };

/** Compares the operator-wide endpoint's reflection with the compiled services; logs and sets the gauge. */
export async function reportServiceSchema(config: OperatorConfig, ca: Buffer | undefined, logger: PinoLogger, metrics: OperatorMetrics, signal?: AbortSignal): Promise<ServiceSchemaReport> {
  const endpoint = config.k3Endpoint;
  try {
    const token = config.k3TokenFile ? (await readFile(config.k3TokenFile, "utf8")).trim() : undefined;
    const differences = await checkServiceSchema({
      endpoint,
      credentials: k3ChannelCredentials({ insecure: config.k3Insecure, ca }),
      token,
      timeoutMs: CHECK_TIMEOUT_MS,
      signal,
    });
    if (differences === undefined) {
      logger.info({ endpoint }, "the K3 endpoint offers no reflection; its service descriptors were not compared");
      return { outcome: "not-offered" };
    }
    metrics.externalSchemaDifferences.set({ endpoint }, differences.length);
    if (differences.length === 0) {
      logger.info({ endpoint }, "the K3 endpoint serves the services as compiled");
    } else {
      for (const difference of differences) logger.warn({ endpoint, difference }, "the K3 endpoint's service descriptors differ from the compiled ones");
    }
    return { outcome: "compared", differences };
  } catch (error) {
    if (signal?.aborted === true) return { outcome: "failed", error: "cancelled: the operator is stopping" };
    // Reflection is a courtesy of the endpoint; a failure here says nothing about the K3 calls.
    const message = error instanceof Error ? error.message : String(error);
    logger.info({ endpoint, err: message }, "could not compare the K3 endpoint's service descriptors");
    return { outcome: "failed", error: message };
  }
}
