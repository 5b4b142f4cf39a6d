/**
 * Re-derive every live token's policy due date after the deployed rotation policies changed
 * (or for tokens written before the due index existed). Part of the alert run, after its two
 * passes: it compares the deployed policies' hash with the one recorded, and only when they
 * differ does it walk the expiry index (every live token) and move the dates that changed.
 *
 * Cost: one read of every live token per policy change, never per run; a run with nothing to
 * do reads one state item. The walk is resumable: the cursor is saved after every page, so a
 * run that stops for time (or dies) is continued by the next, and a policy change in the middle
 * of a walk starts a new one. Due dates moved meanwhile by a usage write are left alone.
 */
import type { Stores } from '../store';
import { TokenStoreError } from '../store/errors';
import { kindRules } from '../token/kinds';
import { derivePolicyDue, policiesHash } from '../token/policy-due';
import type { TokenRecord } from '../token/record';
import type { RotationPolicies } from '../token/rotation-policy';
import { processPages, type RunReport } from './paging';

/** The expiry index is read up to here: every live token. */
const FAR_FUTURE = new Date('9999-01-01T00:00:00.000Z');

export interface PolicyBackfillDeps {
  readonly stores: Pick<Stores, 'tokens' | 'policyDue' | 'schedules'>;
  readonly policies: RotationPolicies;
  readonly now: () => Date;
  readonly pageSize?: number;
}

export interface PolicyBackfillReport extends RunReport {
  /** False: the recorded hash is the deployed one, nothing was read. */
  readonly ran: boolean;
  /** Due dates written (moved, set for the first time, or removed). */
  readonly updated: number;
}

export class PolicyBackfill {
  constructor(private readonly deps: PolicyBackfillDeps) {}

  async run(hasTime?: () => boolean): Promise<PolicyBackfillReport> {
    const { schedules } = this.deps.stores;
    const hash = policiesHash(this.deps.policies);
    const state = await schedules.get('policy-backfill');
    if (state.policyHash === hash && state.backfillHash === undefined) {
      return { ran: false, updated: 0, itemsRead: 0, failures: [], complete: true };
    }
    // A walk for other policies is abandoned: this one must cover every token anyway.
    const start = state.backfillHash === hash ? state.cursor : undefined;
    const now = this.deps.now();
    let updated = 0;
    const fetch = (cursor: string | undefined) =>
      this.deps.stores.tokens.listEnding(
        { from: now, until: FAR_FUTURE },
        { limit: this.deps.pageSize ?? 25, cursor },
      );
    let walked: RunReport;
    try {
      walked = await processPages(
        async (cursor) => {
          const page = await fetch(cursor);
          // Saved before the page is handled: a run that dies redoes at most this page.
          await schedules.save('policy-backfill', {
            ...withPolicyHash(state.policyHash),
            backfillHash: hash,
            ...(cursor === undefined ? {} : { cursor }),
          });
          return page;
        },
        async (record) => {
          if (await this.rederive(record, now)) updated += 1;
        },
        hasTime,
        start,
      );
    } catch (error) {
      // The saved cursor's token is gone: start the walk again (re-deriving is idempotent).
      if (!(error instanceof TokenStoreError && error.code === 'invalid-cursor')) throw error;
      await schedules.save('policy-backfill', {
        ...withPolicyHash(state.policyHash),
        backfillHash: hash,
      });
      return { ran: true, updated, itemsRead: 0, failures: [], complete: false };
    }
    if (walked.complete && walked.failures.length === 0) {
      await schedules.save('policy-backfill', { policyHash: hash });
    } else if (walked.complete) {
      // Some tokens could not be moved and the walk cannot tell where: the next run walks again.
      await schedules.save('policy-backfill', {
        ...withPolicyHash(state.policyHash),
        backfillHash: hash,
      });
    } else if (walked.resumeAt !== undefined) {
      await schedules.save('policy-backfill', {
        ...withPolicyHash(state.policyHash),
        backfillHash: hash,
        cursor: walked.resumeAt,
      });
    }
    return { ran: true, updated, ...walked };
  }

  /** Put the token at its due date under the deployed policies; true if that wrote. */
  private async rederive(record: TokenRecord, now: Date): Promise<boolean> {
    const reportable =
      kindRules(record).getsAlerts &&
      record.rotatedTo === undefined &&
      record.rotationDueAt === undefined;
    const due = reportable ? derivePolicyDue(record, this.deps.policies, now) : undefined;
    const same =
      due?.policyDueAt === record.policyDueAt &&
      due?.heavyUse?.usesPerDay === record.heavyUsePerDay &&
      due?.heavyUse?.dueAt === record.heavyUseDueAt;
    if (same) return false;
    return this.deps.stores.policyDue.reschedule(record, due);
  }
}

function withPolicyHash(policyHash: string | undefined): { policyHash?: string } {
  return policyHash === undefined ? {} : { policyHash };
}
