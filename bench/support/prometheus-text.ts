// A reader of the Prometheus text exposition format, enough for counters and gauges of the
// apiserver's and the operator's /metrics (histogram series come through as plain samples).

/** One sample line: a metric name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const namePattern = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const labelPattern = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

/** Parses every sample line of `text`; comment lines and lines it cannot read are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const sample = parseLine(line.trim());
    if (sample) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string): Sample | undefined {
  if (line === "" || line.startsWith("#")) return undefined;
  const name = namePattern.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    // A failed sticky match resets lastIndex, so the position is kept apart.
    let at = 1;
    for (;;) {
      labelPattern.lastIndex = at;
      const match = labelPattern.exec(rest);
      if (match === null) break;
      labels[match[1] as string] = (match[2] as string).replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
      at = labelPattern.lastIndex;
    }
    if (rest[at] !== "}") return undefined;
    rest = rest.slice(at + 1);
  }
  const value = Number(rest.trim().split(/\s+/)[0]);
  return Number.isNaN(value) ? undefined : { name, labels, value };
}

/** Sum of the samples named `name` whose labels pass `where` (all of them when omitted). */
export function sumOf(samples: readonly Sample[], name: string, where: (labels: Record<string, string>) => boolean = () => true): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

/** Sums of the samples named `name`, grouped by the value of one label. */
export function sumBy(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const group = s.labels[label] ?? "";
    sums[group] = (sums[group] ?? 0) + s.value;
  }
  return sums;
}

/** `after - before` of counter sums keyed alike, keeping only the keys that changed. */
export function countersBetween(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d !== 0) delta[key] = d;
  }
  return delta;
}
