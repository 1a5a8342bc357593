// Shared fixtures of the emulator contract tests: a running emulator with clients per
// tenant, error decoding, polling, and valid inputs to start from.
import type { ServiceError } from "@grpc/grpc-js";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { expect } from "vitest";
import { DestinationType } from "../../../src/grpc/gen/dodil/k3/pipeline/v1/pipeline.js";
import { SourceType } from "../../../src/grpc/gen/dodil/k3/source/v1/source.js";
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from "../../../src/emulator/index.js";
// Decoded the way the operator decodes it: with the production client's codec.
import { statusDetailsFromMetadata, type StatusDetails } from "../../../src/grpc/index.js";
import { connectTestClient, type K3TestClient } from "../../../src/emulator/test-client.js";

export { GrpcStatus };

/** A running emulator and a client factory that closes everything on `close()`. */
export interface TestEnv {
  emu: EmulatorHandle;
  /** Client of tenant "acme". */
  k3: K3TestClient;
  /** A client of another tenant. */
  client(tenant: string): K3TestClient;
  close(): Promise<void>;
}

/** Starts an emulator with fast simulated time (timeScale 0.001 unless overridden). */
export async function startTestEnv(options: EmulatorOptions = {}): Promise<TestEnv> {
  const emu = await startEmulator({ timeScale: 0.001, ...options });
  const clients: K3TestClient[] = [];
  const client = (tenant: string): K3TestClient => {
    // A week-long token, so that tests which move an injected clock by hours stay authenticated.
    const c = connectTestClient({ address: emu.address, token: emu.mintToken({ tenant, ttlSeconds: 7 * 86_400 }) });
    clients.push(c);
    return c;
  };
  return {
    emu,
    k3: client("acme"),
    client,
    close: async () => {
      clients.forEach((c) => c.close());
      await emu.stop();
    },
  };
}

/** Awaits a call that must fail with `code`; returns the decoded status details. */
export async function expectGrpcError(call: Promise<unknown>, code: GrpcStatus): Promise<StatusDetails & { details: string }> {
  let caught: ServiceError | undefined;
  try {
    await call;
  } catch (error) {
    caught = error as ServiceError;
  }
  expect(caught, `expected ${GrpcStatus[code]}, but the call succeeded`).toBeDefined();
  const error = caught as ServiceError;
  expect(GrpcStatus[error.code]).toBe(GrpcStatus[code]);
  const decoded = statusDetailsFromMetadata(error.metadata);
  expect(decoded, "the trailer carries google.rpc.Status").toBeDefined();
  expect(decoded?.code).toBe(code);
  expect(decoded?.message).toBe(error.details);
  return { ...(decoded as StatusDetails), details: error.details };
}

/** Field names of the violations of a decoded INVALID_ARGUMENT, sorted. */
export function violatedFields(details: StatusDetails): string[] {
  return details.fieldViolations.map((v) => v.field).sort();
}

/** Polls `read` until `done` holds for its result, failing after `timeoutMs`. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A valid CreatePipeline payload. */
export function pipelineInput(displayName: string, overrides: Record<string, unknown> = {}) {
  return {
    displayName,
    labels: { team: "search" },
    template: { name: "document-chunker", version: "" },
    parameters: { chunkSize: 512 },
    destinations: [{ name: "main", type: DestinationType.DESTINATION_TYPE_VECTOR_STORE, config: { index: "docs" } }],
    ...overrides,
  };
}

/** A valid CreateSource payload of an S3 source. */
export function s3SourceInput(displayName: string, overrides: Record<string, unknown> = {}) {
  return {
    displayName,
    type: SourceType.SOURCE_TYPE_S3,
    s3: { bucket: "acme-docs", region: "eu-west-1", prefix: "kb/", endpoint: "" },
    ...overrides,
  };
}
