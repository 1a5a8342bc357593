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
  for (const { holder } of samples) if (holder && holders.at(-1) !== holder) holders.push(holder);
  return { holders, maxRenewGapSeconds: maxRenewGap(samples) / 1000, maxUnheldSeconds: maxUnheld(samples) / 1000, handover: handover(samples, holders) };
}

/** The longest time between two successive renewals seen (any holder), in ms. */
function maxRenewGap(samples: readonly LeaseSample[]): number {
  const renewals = [...new Set(samples.filter((s) => s.holder !== "" && s.renewTime !== undefined).map((s) => s.renewTime ?? 0))].sort((a, b) => a - b);
  return renewals.slice(1).reduce((max, renewal, index) => Math.max(max, renewal - (renewals[index] ?? renewal)), 0);
}

/** The longest run of samples without a live holder (one whose last renewal is within its duration), in ms. */
function maxUnheld(samples: readonly LeaseSample[]): number {
  let max = 0;
  let since: number | undefined;
  for (const sample of samples) {
    const live = sample.holder !== "" && sample.renewTime !== undefined && sample.at - sample.renewTime <= (sample.durationSeconds ?? 0) * 1000;
    if (!live) since ??= sample.at;
    else if (since !== undefined) {
      max = Math.max(max, sample.at - since);
      since = undefined;
    }
  }
  const last = samples.at(-1);
  return since !== undefined && last ? Math.max(max, last.at - since) : max;
}

function handover(samples: readonly LeaseSample[], holders: readonly string[]): LeaseGaps["handover"] {
  const [first, next] = [holders[0], holders.at(-1)];
  if (first === undefined || next === undefined || first === next) return undefined;
  const firstGone = samples.findLastIndex((sample) => sample.holder === first);
  return {
    lastRenewal: samples[firstGone]?.renewTime,
    releasedSeen: samples.slice(firstGone + 1).find((sample) => sample.holder === "")?.at,
    acquired: samples.find((sample) => sample.holder === next)?.acquireTime,
  };
}
