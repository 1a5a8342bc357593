// Per-RPC call counters that tests read to prove what the operator did or did not call
// (e.g. "steady state makes no mutating calls").

/** RPCs that only read state; every other RPC counts as mutating (GetOAuthUrl makes a state). */
const READ_RPCS: ReadonlySet<string> = new Set([
  "GetSource", "ListSources", "GetCredential", "ListCredentials",
  "GetPipeline", "ListPipelines", "ListTemplates", "GetTemplate",
  "GetRule", "ListRules", "GetSyncStatus", "GetIngestStatus", "ListIngestJobs",
]);

/** Whether an RPC changes state. */
export function isMutatingRpc(rpc: string): boolean {
  return !READ_RPCS.has(rpc);
}

/** Counts of calls received, by RPC and by tenant. */
export class CallCounters {
  private readonly byRpc = new Map<string, number>();
  private readonly byTenant = new Map<string, Map<string, number>>();

  /** Records a call as it arrives (before authentication). */
  record(rpc: string): void {
    this.byRpc.set(rpc, (this.byRpc.get(rpc) ?? 0) + 1);
  }

  /** Records the tenant of an authenticated call. */
  recordTenant(tenant: string, rpc: string): void {
    let counts = this.byTenant.get(tenant);
    if (counts === undefined) {
      counts = new Map();
      this.byTenant.set(tenant, counts);
    }
    counts.set(rpc, (counts.get(rpc) ?? 0) + 1);
  }

  /** Calls of one RPC, e.g. `get("CreatePipeline")`; 0 when never called. */
  get(rpc: string): number {
    return this.byRpc.get(rpc) ?? 0;
  }

  /** Authenticated calls of one tenant, of one RPC or of all RPCs. */
  forTenant(tenant: string, rpc?: string): number {
    const counts = this.byTenant.get(tenant);
    if (counts === undefined) return 0;
    return rpc === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(rpc) ?? 0);
  }

  /** Calls of every RPC. */
  get total(): number {
    return [...this.byRpc.values()].reduce((a, b) => a + b, 0);
  }

  /** Calls of RPCs that change state. */
  get mutating(): number {
    return [...this.byRpc.entries()].filter(([rpc]) => isMutatingRpc(rpc)).reduce((a, [, n]) => a + n, 0);
  }

  /** Calls of RPCs that only read. */
  get reads(): number {
    return this.total - this.mutating;
  }

  /** Calls by RPC name, for printing. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.byRpc);
  }

  /** Forgets every count. */
  reset(): void {
    this.byRpc.clear();
    this.byTenant.clear();
  }
}
