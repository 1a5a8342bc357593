// How long the operator's Lease went without a live holder while the Deployment rolled:
// computed from samples of the Lease, so that the claim "never unheld for longer than its
// duration" is a number that can fail.

/** One reading of the Lease. */
export interface LeaseSample {
  /** When it was read (ms since the epoch). */
  at: number;
  holder: string;
  /** spec.renewTime in ms since the epoch (undefined when unset). */
  renewTime?: number;
  /** spec.leaseDurationSeconds */
  durationSeconds?: number;
}

/** What {@link leaseGaps} found. */
export interface LeaseGaps {
  /** Holders in the order they held it. */
  holders: string[];
  /** The longest time between two successive renewals (any holder), handovers included, in seconds. */
  maxRenewGapSeconds: number;
  /** The longest time in which no sample showed a holder whose last renewal was within its duration, in seconds. */
  maxUnheldSeconds: number;
}

/** Reads the holders and gaps out of samples taken in time order. */
export function leaseGaps(samples: readonly LeaseSample[]): LeaseGaps {
  const holders: string[] = [];
  let maxRenewGap = 0;
  let lastRenew: number | undefined;
  let maxUnheld = 0;
  let unheldSince: number | undefined;
  for (const sample of samples) {
    if (sample.holder && holders.at(-1) !== sample.holder) holders.push(sample.holder);
    if (sample.renewTime !== undefined && sample.holder) {
      if (lastRenew !== undefined && sample.renewTime > lastRenew) maxRenewGap = Math.max(maxRenewGap, sample.renewTime - lastRenew);
      lastRenew = Math.max(lastRenew ?? 0, sample.renewTime);
    }
    const live = sample.holder !== "" && sample.renewTime !== undefined && sample.at - sample.renewTime <= (sample.durationSeconds ?? 0) * 1000;
    if (live) {
      if (unheldSince !== undefined) maxUnheld = Math.max(maxUnheld, sample.at - unheldSince);
      unheldSince = undefined;
    } else {
      unheldSince ??= sample.at;
    }
  }
  const last = samples.at(-1);
  if (unheldSince !== undefined && last) maxUnheld = Math.max(maxUnheld, last.at - unheldSince);
  return { holders, maxRenewGapSeconds: maxRenewGap / 1000, maxUnheldSeconds: maxUnheld / 1000 };
}
