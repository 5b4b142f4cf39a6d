/**
 * One run of the expiry alert schedule. It reads only the tokens ending within the alert
 * horizon (30 days) through the sparse expiry index, and for each one that has crossed a new
 * threshold: lease the alert, publish it, then confirm (or release on failure).
 *
 * Delivery guarantee, per token and threshold:
 * - at most one run holds the lease at a time, so overlapping or repeated runs send once;
 * - a failed publish releases the lease and the run fails (the invocation is retried, then goes
 *   to the dead-letter queue); the next run tries again, so an alert is not lost;
 * - a run that dies between publishing and confirming leaves a lease that lapses after
 *   `leaseMs`; a later run then sends the alert again. That is the only duplicate, and the
 *   message's `alertId` lets subscribers drop it.
 *
 * No starvation: alerted tokens stay in the window (they alert again at the next threshold), so
 * a run that stops for time saves the cursor of its next page and the next run starts there;
 * a walk that reaches the end starts the next one from the beginning. A saved cursor that no
 * longer resolves (its token was deleted) starts over: repeats are skipped as already sent.
 */
import {
  ALERT_HORIZON_DAYS,
  dueAlert,
  type Severity,
  type Threshold,
} from '../alerts/expiry-rules';
import { expiryAlert } from '../alerts/messages';
import type { AlertPublisher } from '../alerts/publisher';
import type { AuditContext } from '../store/audit';
import type { Stores } from '../store';
import { TokenStoreError } from '../store/errors';
import { kindRules } from '../token/kinds';
import type { TokenRecord } from '../token/record';
import { processPages, type RunReport } from './paging';
import { DAY_MS } from '../time';

/** Longer than the alert Lambda's timeout (infra asserts it), so a live run never loses one. */
export const ALERT_LEASE_MS = 15 * 60_000;

const HORIZON_MS = ALERT_HORIZON_DAYS * DAY_MS;

export interface ExpiryAlerterDeps {
  readonly stores: Pick<Stores, 'tokens' | 'alerts' | 'schedules'>;
  readonly publisher: AlertPublisher;
  readonly now: () => Date;
  readonly leaseMs?: number;
  /** Items per page, handled concurrently. */
  readonly pageSize?: number;
}

export interface AlertRunReport extends RunReport {
  /** Live, not rotated-out tokens by the most urgent threshold they are within. */
  readonly within: Record<Severity, number>;
  /** Alerts published and recorded, by severity. */
  readonly sent: Record<Severity, number>;
  /** Due, but another run holds or already sent it. */
  readonly claimedElsewhere: number;
  /** Published, but the lease had lapsed before the confirmation: possibly a duplicate. */
  readonly unconfirmed: number;
}

export class ExpiryAlerter {
  constructor(private readonly deps: ExpiryAlerterDeps) {}

  async run(context: AuditContext, hasTime?: () => boolean): Promise<AlertRunReport> {
    const now = this.deps.now();
    const report = { within: counts(), sent: counts(), claimedElsewhere: 0, unconfirmed: 0 };
    const { schedules } = this.deps.stores;
    const saved = (await schedules.get('expiry-alerts')).cursor;
    const walk = (start: string | undefined) =>
      processPages(
        (cursor) =>
          this.deps.stores.tokens.listEnding(
            { from: now, until: new Date(now.getTime() + HORIZON_MS + 1) },
            { limit: this.deps.pageSize ?? 25, cursor },
          ),
        (record) => this.handle(record, now, context, report),
        hasTime,
        start,
      );
    const outcome = await walk(saved).catch((error: unknown) => {
      if (
        saved !== undefined &&
        error instanceof TokenStoreError &&
        error.code === 'invalid-cursor'
      ) {
        return walk(undefined);
      }
      throw error;
    });
    if (outcome.resumeAt !== saved) {
      await schedules.save(
        'expiry-alerts',
        outcome.resumeAt === undefined ? {} : { cursor: outcome.resumeAt },
      );
    }
    return { ...outcome, ...report };
  }

  private async handle(
    record: TokenRecord,
    now: Date,
    context: AuditContext,
    report: Mutable<Omit<AlertRunReport, keyof RunReport>>,
  ): Promise<void> {
    if (!kindRules(record).getsAlerts) return;
    const due = dueAlert(record, now);
    const band = dueAlert({ ...record, alertedDays: undefined }, now);
    if (band !== undefined) report.within[band.severity] += 1;
    if (due === undefined) return;
    const result = await this.alert(record, due, now, context);
    if (result === 'sent') report.sent[due.severity] += 1;
    else if (result === 'unconfirmed') report.unconfirmed += 1;
    else report.claimedElsewhere += 1;
  }

  private async alert(
    record: TokenRecord,
    threshold: Threshold,
    now: Date,
    context: AuditContext,
  ): Promise<'sent' | 'unconfirmed' | 'claimed-elsewhere'> {
    const { stores, publisher } = this.deps;
    const claim = await stores.alerts.claimExpiryAlert(
      record.tokenHash,
      threshold.days,
      this.deps.leaseMs ?? ALERT_LEASE_MS,
    );
    if (claim === undefined) return 'claimed-elsewhere';
    let messageId: string;
    try {
      messageId = await publisher.publish(expiryAlert(record, threshold, now));
    } catch (error) {
      await stores.alerts.releaseExpiryAlert(claim).catch(() => undefined); // the lease lapses anyway
      throw error;
    }
    const confirmed = await stores.alerts.confirmExpiryAlert(
      claim,
      record,
      { severity: threshold.severity, messageId },
      context,
    );
    return confirmed ? 'sent' : 'unconfirmed';
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function counts(): Record<Severity, number> {
  return { low: 0, medium: 0, high: 0, critical: 0 };
}
