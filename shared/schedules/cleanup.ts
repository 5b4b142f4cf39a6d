/**
 * One run of the cleanup schedule: retire every live token whose end has passed (expired, or a
 * rotated predecessor past its grace deadline). It reads only those tokens, through the sparse
 * expiry index, and each one it retires leaves the index, so the next run does not read it
 * again: the work follows the number of tokens that ended, not the table size.
 *
 * Idempotent: `TokenStore.expire` changes a token once, and a token already retired by an
 * overlapping run counts as unchanged. A failed token stays in the index for the next run.
 */
import type { AuditContext } from '../store/audit';
import { TokenStoreError } from '../store/errors';
import type { TokenStore } from '../store/token-store';
import { processPages, type RunReport } from './paging';

export interface CleanupDeps {
  readonly store: Pick<TokenStore, 'listEnding' | 'expire'>;
  readonly now: () => Date;
  /** Items per page, retired concurrently. */
  readonly pageSize?: number;
}

export interface CleanupReport extends RunReport {
  readonly expired: number;
  readonly graceEnded: number;
  /** Already retired (a concurrent run) or not due after all. */
  readonly unchanged: number;
}

export class Cleanup {
  constructor(private readonly deps: CleanupDeps) {}

  async run(context: AuditContext, hasTime?: () => boolean): Promise<CleanupReport> {
    const now = this.deps.now();
    const report = { expired: 0, graceEnded: 0, unchanged: 0 };
    const outcome = await processPages(
      (cursor) =>
        this.deps.store.listEnding(
          // `until` is exclusive; a token ends at its end instant, so include `now` itself.
          { until: new Date(now.getTime() + 1) },
          { limit: this.deps.pageSize ?? 25, cursor },
        ),
      async (record) => {
        const result = await this.deps.store.expire(record.tokenHash, context).catch(gone);
        if (result === undefined || !result.changed) report.unchanged += 1;
        else if (isGraceEnd(result.record)) report.graceEnded += 1;
        else report.expired += 1;
      },
      hasTime,
    );
    return { ...outcome, ...report };
  }
}

/** The index can briefly list an item TTL has already deleted: nothing left to retire. */
function gone(error: unknown): undefined {
  if (error instanceof TokenStoreError && error.code === 'not-found') return undefined;
  throw error;
}

function isGraceEnd(record: { graceUntil?: string; expiresAt: string }): boolean {
  return record.graceUntil !== undefined && record.graceUntil < record.expiresAt;
}
