/**
 * One run of the cleanup schedule: retire every live token whose end has passed (expired, or a
 * rotated predecessor past its grace deadline). It reads only those tokens, through the sparse
 * expiry index, and each one it retires leaves the index, so the next run does not read it
 * again: the work follows the number of tokens that ended, not the table size.
 *
 * Idempotent: `tokens.expire` changes a token once, and a token already retired by an
 * overlapping run counts as unchanged. A failed token stays in the index for the next run.
 */
import type { AuditContext } from '../store/audit';
import { TokenStoreError } from '../store/errors';
import type { Stores } from '../store';
import { processPages, type RunReport } from './paging';

export interface CleanupDeps {
  readonly stores: Pick<Stores, 'tokens' | 'requests'>;
  readonly now: () => Date;
  /** Items per page, retired concurrently. */
  readonly pageSize?: number;
}

export interface CleanupReport extends RunReport {
  readonly expired: number;
  readonly graceEnded: number;
  /** Already retired (a concurrent run) or not due after all. */
  readonly unchanged: number;
  /** Rotation requests that lapsed undecided, and approved grants that went unused. */
  readonly requestsExpired: number;
  readonly grantsExpired: number;
}

export class Cleanup {
  constructor(private readonly deps: CleanupDeps) {}

  async run(context: AuditContext, hasTime?: () => boolean): Promise<CleanupReport> {
    const now = this.deps.now();
    const report = {
      expired: 0,
      graceEnded: 0,
      unchanged: 0,
      requestsExpired: 0,
      grantsExpired: 0,
    };
    const tokens = await processPages(
      (cursor) =>
        this.deps.stores.tokens.listEnding(
          // `until` is exclusive; a token ends at its end instant, so include `now` itself.
          { until: new Date(now.getTime() + 1) },
          { limit: this.deps.pageSize ?? 25, cursor },
        ),
      async (record) => {
        const result = await this.deps.stores.tokens.expire(record.tokenHash, context).catch(gone);
        if (result === undefined || !result.changed) report.unchanged += 1;
        else if (isGraceEnd(result.record)) report.graceEnded += 1;
        else report.expired += 1;
      },
      hasTime,
    );
    // Then lapsed rotation requests and grants, through the sparse request index.
    const requests = [];
    for (const state of ['pending', 'approved'] as const) {
      requests.push(
        await processPages(
          (cursor) =>
            this.deps.stores.requests.listRotationRequests(state, {
              lapsedBy: now,
              limit: this.deps.pageSize ?? 25,
              cursor,
            }),
          async (record) => {
            const requestId = record.rotationRequest?.requestId;
            if (requestId === undefined) return;
            const result = await this.deps.stores.requests
              .closeRotationRequest(record.tokenHash, { requestId, state: 'expired' }, context)
              .catch(gone);
            if (result?.changed !== true) return;
            if (state === 'approved') report.grantsExpired += 1;
            else report.requestsExpired += 1;
          },
          hasTime,
        ),
      );
    }
    const outcomes = [tokens, ...requests];
    return {
      itemsRead: outcomes.reduce((sum, o) => sum + o.itemsRead, 0),
      failures: outcomes.flatMap((o) => o.failures),
      complete: outcomes.every((o) => o.complete),
      ...report,
    };
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
