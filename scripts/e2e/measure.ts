// Reading the figures the image e2e records: Prometheus text and `docker stats` output.

/** A gauge or counter's value from Prometheus text, summed over its label sets. */
export function metricValue(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) sum = (sum ?? 0) + Number(match[1]);
  }
  return sum;
}

/** Parses `docker stats` MemUsage ("45.3MiB / 512MiB") into bytes of usage. */
export function statsBytes(memUsage: string): number {
  const match = /^([\d.]+)\s*([kKMGT]?i?B)/.exec(memUsage.trim());
  if (!match) throw new Error(`cannot read docker stats memory "${memUsage}"`);
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
  return Math.round(Number(match[1]) * (units[match[2] ?? "B"] ?? 1));
}
