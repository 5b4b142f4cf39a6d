/**
 * The authorizer's decision, independent of the event format. Order of work:
 * header → offline format/checksum check (no I/O) → one lookup by hash (or a cache hit) →
 * the pure verification rules. Usage is recorded after an allow, without awaiting it.
 */
import type { TokenRecord } from '../token/record';
import { DENY_REASONS, verifyToken, type DenyReason } from '../token/verify';
import type { UsageFlush, UsageTracker } from '../usage';
import { bearerToken } from './bearer';
import type { RecordCache } from './record-cache';

export type Decision =
  /** 401: no usable credentials; no database read happened. */
  | { readonly outcome: 'unauthorized'; readonly reason: 'missing' | 'malformed' }
  /** 403: a well-formed token that must not pass. */
  | {
      readonly outcome: 'deny';
      readonly reason: Exclude<DenyReason, 'malformed'>;
      readonly record?: TokenRecord;
    }
  | { readonly outcome: 'allow'; readonly record: TokenRecord; readonly inGrace: boolean };

export const DECISION_REASONS = ['allowed', 'missing', ...DENY_REASONS] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export function decisionReason(decision: Decision): DecisionReason {
  return decision.outcome === 'allow' ? 'allowed' : decision.reason;
}

export interface UsageRecorder {
  readonly tracker: UsageTracker;
  /** `seen`: the record the decision used, so the write can bring the policy due date forward. */
  readonly write: (flush: UsageFlush, seen: TokenRecord) => Promise<unknown>;
  /** Usage is best effort: a failed write is reported here and never affects a decision. */
  readonly onError: (error: unknown) => void;
}

export interface TokenAuthorizerDeps {
  readonly lookup: (tokenHash: string) => Promise<TokenRecord | undefined>;
  readonly now?: () => Date;
  readonly prefix?: string;
  readonly cache?: RecordCache;
  readonly usage?: UsageRecorder;
}

export class TokenAuthorizer {
  private readonly now: () => Date;

  constructor(private readonly deps: TokenAuthorizerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Decide for an Authorization header value. Store failures propagate: callers fail closed. */
  async decide(authorization: string | undefined): Promise<Decision> {
    const presented = bearerToken(authorization);
    if (presented === undefined) return { outcome: 'unauthorized', reason: 'missing' };
    const now = this.now();
    const verdict = await verifyToken(presented, {
      lookup: (hash) => this.lookup(hash, now.getTime()),
      now: () => now,
      ...(this.deps.prefix === undefined ? {} : { prefix: this.deps.prefix }),
    });
    if (!verdict.allowed) {
      if (verdict.reason === 'malformed') return { outcome: 'unauthorized', reason: 'malformed' };
      return {
        outcome: 'deny',
        reason: verdict.reason,
        ...(verdict.record === undefined ? {} : { record: verdict.record }),
      };
    }
    this.recordUse(verdict.record, now);
    return { outcome: 'allow', record: verdict.record, inGrace: verdict.inGrace };
  }

  private async lookup(tokenHash: string, now: number): Promise<TokenRecord | undefined> {
    const cache = this.deps.cache;
    const hit = cache?.get(tokenHash, now);
    if (hit !== undefined) return hit.record;
    const record = await this.deps.lookup(tokenHash);
    cache?.set(tokenHash, record, now);
    return record;
  }

  private recordUse(record: TokenRecord, now: Date): void {
    const usage = this.deps.usage;
    const flush = usage?.tracker.record(record.tokenHash, now);
    if (usage === undefined || flush === undefined) return;
    // Not awaited: usage must never delay a decision.
    usage.write(flush, record).catch(usage.onError);
  }
}
