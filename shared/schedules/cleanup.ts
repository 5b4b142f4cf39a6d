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
import type { TokenStore } from '../store/token-store';
import { forEachPage, settleEach, type ItemFailure } from './paging';

export interface CleanupDeps {
  readonly store: Pick<TokenStore, 'listEnding' | 'expire'>;
  readonly now: () => Date;
  /** Items per page, retired concurrently. */
  readonly pageSize?: number;
}

export interface CleanupReport {
  readonly itemsRead: number;
  readonly expired: number;
  readonly graceEnded: number;
  /** Already retired (a concurrent run) or not due after all. */
  readonly unchanged: number;
  readonly failures: readonly ItemFailure[];
  /** False when the run stopped early for time; the next run continues. */
  readonly complete: boolean;
}

export class Cleanup {
  constructor(private readonly deps: CleanupDeps) {}

  async run(context: AuditContext, hasTime?: () => boolean): Promise<CleanupReport> {
    const now = this.deps.now();
    const report = {
      itemsRead: 0,
      expired: 0,
      graceEnded: 0,
      unchanged: 0,
    };
    const failures: ItemFailure[] = [];
    const { complete } = await forEachPage(
      (cursor) =>
        this.deps.store.listEnding(
          // `until` is exclusive; a token ends at its end instant, so include `now` itself.
          { until: new Date(now.getTime() + 1) },
          { limit: this.deps.pageSize ?? 25, cursor },
        ),
      async (records) => {
        report.itemsRead += records.length;
        await settleEach(
          records,
          async (record) => {
            const result = await this.deps.store.expire(record.tokenHash, context);
            if (!result.changed) report.unchanged += 1;
            else if (isGraceEnd(result.record)) report.graceEnded += 1;
            else report.expired += 1;
          },
          failures,
        );
      },
      hasTime,
    );
    return { ...report, failures, complete };
  }
}

function isGraceEnd(record: { graceUntil?: string; expiresAt: string }): boolean {
  return record.graceUntil !== undefined && record.graceUntil < record.expiresAt;
}
