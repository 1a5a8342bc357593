// How the plugin writes: colours only on a terminal without NO_COLOR, a redrawn progress bar on
// a terminal and one plain line per change elsewhere (logs, CI, pipes), -o json|yaml for scripts.
import { stringify } from "yaml";
import type { OutputFormat } from "./args.js";

/** Output settings of one stream. */
export interface OutputStyle {
  /** ANSI colours allowed */
  color: boolean;
  /** a terminal: progress may be redrawn in place */
  tty: boolean;
}

/** Colours on a terminal unless NO_COLOR is set to anything non-empty (no-color.org). */
export function outputStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): OutputStyle {
  const tty = stream.isTTY === true;
  return { tty, color: tty && !env["NO_COLOR"] };
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2 } as const;

/** Wraps `text` in an ANSI colour when the style allows colours. */
export function paint(style: OutputStyle, color: keyof typeof codes, text: string): string {
  return style.color ? `\u001b[${codes[color]}m${text}\u001b[0m` : text;
}

/** Serialises a result for -o json or -o yaml. */
export function formatStructured(value: unknown, format: OutputFormat): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** One observation of a run being followed. */
export interface Progress {
  /** e.g. "Running" */
  state: string;
  done: number;
  /** unknown while the service has not said */
  total?: number;
  failed: number;
}

/** A bar of `width` cells filled in proportion to done/total. */
export function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** The words of one progress observation: `Running 3/10 done, 1 failed`. */
export function progressText(p: Progress): string {
  return `${p.state} ${p.done}${p.total === undefined ? "" : `/${p.total}`} done, ${p.failed} failed`;
}

/** Shows the progress of a run: redraws one line on a terminal, prints a line per change otherwise. */
export class ProgressReporter {
  private last = "";

  constructor(
    private readonly stream: { write(text: string): unknown },
    private readonly style: OutputStyle,
    private readonly label: string,
  ) {}

  /** Reports an observation; repeats of the last one print nothing. */
  update(p: Progress): void {
    const text = progressText(p);
    if (text === this.last) return;
    this.last = text;
    if (this.style.tty) {
      const barText = p.total === undefined ? "" : `${bar(p.done, p.total)} `;
      const failed = p.failed > 0 ? paint(this.style, "red", text) : text;
      this.stream.write(`\r\u001b[2K${this.label} ${barText}${failed}`);
    } else {
      this.stream.write(`${this.label} ${text}\n`);
    }
  }

  /** Ends the redrawn line so that what follows starts on a fresh one. */
  finish(): void {
    if (this.style.tty && this.last) this.stream.write("\n");
  }
}
