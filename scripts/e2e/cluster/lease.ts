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
  /** spec.acquireTime in ms since the epoch. */
  acquireTime?: number;
}

/** What {@link leaseGaps} found. */
export interface LeaseGaps {
  /** Holders in the order they held it. */
  holders: string[];
  /** The longest time between two successive renewals (any holder), handovers included, in seconds. */
  maxRenewGapSeconds: number;
  /** The longest time in which no sample showed a holder whose last renewal was within its duration, in seconds. */
  maxUnheldSeconds: number;
  /**
   * The handover from the first holder to the last, in ms since the epoch: the first holder's
   * last renewal, the first sample showing the Lease released (no holder), the last holder's acquireTime.
   */
  handover?: { lastRenewal?: number; releasedSeen?: number; acquired?: number };
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
  const [first, next] = [holders[0], holders.at(-1)];
  const handover = first !== undefined && next !== undefined && first !== next ? {
    lastRenewal: samples.filter((sample) => sample.holder === first).at(-1)?.renewTime,
    releasedSeen: samples.find((sample, index) => sample.holder === "" && samples.slice(0, index).some((earlier) => earlier.holder === first))?.at,
    acquired: samples.find((sample) => sample.holder === next)?.acquireTime,
  } : undefined;
  return { holders, maxRenewGapSeconds: maxRenewGap / 1000, maxUnheldSeconds: maxUnheld / 1000, handover };
}
