/**
 * Optional short-lived in-process cache of token records (not of decisions: the decision is
 * re-evaluated against the clock on every hit, so expiry and grace deadlines stay exact).
 * It caches "unknown" too, which shields the table from floods of well-formed fake tokens.
 * A revoked token can pass for at most `ttlMs` longer because of it.
 */
import type { TokenRecord } from '../token/record';

interface Entry {
  readonly record: TokenRecord | undefined;
  readonly fetchedAt: number;
}

export class RecordCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries: number = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** `{ record }` on a fresh hit (record may be undefined: a cached "unknown"), else undefined. */
  get(tokenHash: string, now: number): { record: TokenRecord | undefined } | undefined {
    const entry = this.entries.get(tokenHash);
    if (entry === undefined) return undefined;
    if (now - entry.fetchedAt >= this.ttlMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return { record: entry.record };
  }

  set(tokenHash: string, record: TokenRecord | undefined, now: number): void {
    if (!this.enabled) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(tokenHash)) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(tokenHash, { record, fetchedAt: now });
  }
}
