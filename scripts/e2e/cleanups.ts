// The e2e scripts' undo list: every step registered when what it undoes was made, all run in
// reverse order at the end, each even after another failed.

/** Cleanups, run in reverse order. */
export class Cleanups {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private running: Promise<boolean> | undefined;
  /** `prefix` names the script in failure lines, e.g. `e2e:image`. */
  constructor(private readonly prefix: string) {}
  /** Registers a step; it runs before every step registered earlier. */
  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }
  /**
   * Runs every step, even after one failed; resolves to false if any failed. A call while a
   * run is under way (Ctrl-C during the normal teardown) joins it instead of racing it, and
   * steps added meanwhile run too.
   */
  runAll(): Promise<boolean> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<boolean> {
    let clean = true;
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run();
      } catch (error) {
        clean = false;
        process.stderr.write(`[${this.prefix}] FAILED: cleanup "${step.name}": ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    return clean;
  }
}
