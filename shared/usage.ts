/**
 * Throttled usage tracking: the authorizer counts uses in memory and writes at most once per
 * interval per token (per Lambda instance), so usage never adds a DynamoDB write per request.
 *
 * Guarantees: `lastUsedAt` is stale by at most `intervalMs`; `useCount` is a lower bound (uses
 * counted after a token's last flush are lost when the instance is recycled or the entry is
 * evicted).
 */
export interface UsageFlush {
  readonly tokenHash: string;
  readonly count: number;
  readonly at: Date;
}

interface Entry {
  pending: number;
  lastFlushAt: number;
}

export const DEFAULT_USAGE_INTERVAL_MS = 5 * 60_000;

export class UsageTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly intervalMs: number = DEFAULT_USAGE_INTERVAL_MS,
    private readonly maxTracked: number = 10_000,
  ) {}

  /**
   * Count one use. Returns what to write when the token's first use in this instance, or its
   * interval since the last write, has come; otherwise undefined (nothing to write).
   */
  record(tokenHash: string, now: Date): UsageFlush | undefined {
    const at = now.getTime();
    const entry = this.entries.get(tokenHash);
    if (entry === undefined) {
      this.track(tokenHash, { pending: 0, lastFlushAt: at });
      return { tokenHash, count: 1, at: now };
    }
    entry.pending += 1;
    if (at - entry.lastFlushAt < this.intervalMs) return undefined;
    const flush = { tokenHash, count: entry.pending, at: now };
    entry.pending = 0;
    entry.lastFlushAt = at;
    return flush;
  }

  get size(): number {
    return this.entries.size;
  }

  private track(tokenHash: string, entry: Entry): void {
    if (this.entries.size >= this.maxTracked) {
      // Map iterates in insertion order: drop the longest-tracked token to bound memory.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(tokenHash, entry);
  }
}
