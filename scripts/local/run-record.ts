// The record of a running `npm run local` in its folder: what it started, so that a second
// run in the same folder is refused while the first lives, and cleans up after it if it died
// without stopping (SIGKILL, a closed laptop lid that never came back).
import { readFileSync, rmSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { readControlPlaneState, stopControlPlane, type ControlPlaneState } from "../../src/controlplane/control-plane.js";
import { isAlive, signal, stopProcess } from "../../src/controlplane/processes.js";

/** The content of the record file. */
export interface RunRecord {
  /** The `npm run local` process. */
  pid: number;
  /** The operator child, once started. */
  operatorPid?: number;
  /** Where the (detached) control plane saved its state. */
  controlPlaneStateFile: string;
}

/** Text of a process's command line, or undefined when it is gone or unreadable (no /proc). */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return undefined;
  }
}

/**
 * True if `pid` runs and its command line contains `marker`; guards against signalling an
 * unrelated process that reused a recorded pid. Without /proc it trusts the pid.
 */
export function runsWith(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const line = commandLine(pid);
  return line === undefined || line.includes(marker);
}

/** Reads the record; undefined when there is none or it is unreadable. */
export async function readRunRecord(file: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/** Writes the record (replacing any earlier one). */
export async function writeRunRecord(file: string, record: RunRecord): Promise<void> {
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
}

/** Options of {@link cleanUpAfterEarlierRun}. */
export interface CleanUpOptions {
  recordFile: string;
  /** Text in the command line of every `npm run local` (its script path). */
  runMarker: string;
  /** Text in the command line of the operator it started (its token file path). */
  operatorMarker: string;
}

/**
 * Throws if the run in the record still lives; otherwise stops what it left running and
 * removes the record. Resolves to the dead run's pid when it had left something, else undefined.
 */
export async function cleanUpAfterEarlierRun(options: CleanUpOptions): Promise<number | undefined> {
  const record = await readRunRecord(options.recordFile);
  if (!record) return undefined;
  if (record.pid !== process.pid && runsWith(record.pid, options.runMarker)) {
    throw new Error(`another \`npm run local\` (pid ${record.pid}) uses this folder: stop it first, or set K3_LOCAL_DIR to another folder`);
  }
  let leftovers = false;
  if (record.operatorPid !== undefined && runsWith(record.operatorPid, options.operatorMarker)) {
    leftovers = true;
    await stopProcess(record.operatorPid);
  }
  const plane = await readControlPlaneState(record.controlPlaneStateFile).catch(() => undefined);
  if (plane) {
    leftovers = true;
    await stopControlPlane(plane);
  }
  await rm(options.recordFile, { force: true });
  return leftovers ? record.pid : undefined;
}

/**
 * The last resort when there is no time for an orderly stop (this process is exiting, or the
 * user insisted): SIGKILLs everything in the record, synchronously, and removes the files.
 */
export function killRecordedNow(options: Pick<CleanUpOptions, "recordFile" | "operatorMarker">): void {
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(options.recordFile, "utf8")) as RunRecord;
  } catch {
    return; // nothing recorded, or an orderly stop already removed it
  }
  if (record.operatorPid !== undefined && runsWith(record.operatorPid, options.operatorMarker)) signal(record.operatorPid, "SIGKILL");
  try {
    const plane = JSON.parse(readFileSync(record.controlPlaneStateFile, "utf8")) as ControlPlaneState;
    for (const { pid, executable } of plane.processes) if (runsWith(pid, executable)) signal(pid, "SIGKILL");
    for (const path of [plane.dir, plane.kubeconfigPath, plane.stateFile]) rmSync(path, { recursive: true, force: true });
  } catch {
    // no control plane started yet
  }
  rmSync(options.recordFile, { force: true });
}
