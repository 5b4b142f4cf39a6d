/**
 * The rotation-policy part of the alert run: find the tokens due for rotation under their
 * policy (age, or heavy use), report each once to its owner, and start the rotation of those
 * held in a Secrets Manager secret, so their rotation follows the policy too (a heavily used
 * secret-held token is rotated before its fixed schedule would).
 *
 * Cost: it reads only the due index up to now (shared/token/policy-due.ts), so a run reads the
 * tokens due since the last one, plus one query per shard. Every token it reads leaves that
 * range: reported (its due date is removed with the report), not due after all (its use fell
 * back below the heavy-use rate, or its date was provisional: the date is derived again, later),
 * or no longer one to report (ended, rotated out, a bootstrap token: removed). So a run that
 * stops for time is continued by the next from the start of the range, with nothing skipped;
 * only a token whose report failed, or that another run holds, is read again.
 *
 * The report is exactly-once per token in the normal case, with the expiry alerts' lease (a
 * crash between publishing and recording repeats it).
 */
import { rotationDueAlert } from '../alerts/messages';
import type { AlertPublisher } from '../alerts/publisher';
import type { RotationStarter } from '../rotation/rotate-now';
import type { AuditContext } from '../store/audit';
import type { Stores } from '../store';
import { kindRules } from '../token/kinds';
import type { TokenRecord } from '../token/record';
import { derivePolicyDue } from '../token/policy-due';
import { rotationDue, type RotationDue, type RotationPolicies } from '../token/rotation-policy';
import { ALERT_LEASE_MS } from './expiry-alerter';
import { processPages, type RunReport } from './paging';

export interface RotationPolicyDeps {
  readonly stores: Pick<Stores, 'alerts' | 'policyDue'>;
  readonly publisher: AlertPublisher;
  /** Starts the rotation of a secret-held token; absent where no secrets are rotated. */
  readonly rotations?: RotationStarter;
  readonly policies: RotationPolicies;
  readonly now: () => Date;
  readonly leaseMs?: number;
  readonly pageSize?: number;
}

export interface RotationPolicyReport extends RunReport {
  /** Tokens found due under their policy in this run (reported now, or held by another run). */
  readonly due: { readonly age: number; readonly usage: number };
  /** Read from the due index but not due after all: their due date was derived again. */
  readonly rescheduled: number;
  /** Read but no longer to be reported (ended, rotated out, reported): out of the index. */
  readonly dropped: number;
  /** Reports sent in this run. */
  readonly reported: number;
  /** Secret rotations started in this run (or found already running). */
  readonly rotationsStarted: number;
  /** Secret rotations that could not be started; the report went out saying so. */
  readonly rotationStartFailures: number;
  readonly unconfirmed: number;
}

export class RotationPolicyRun {
  constructor(private readonly deps: RotationPolicyDeps) {}

  async run(context: AuditContext, hasTime?: () => boolean): Promise<RotationPolicyReport> {
    const now = this.deps.now();
    const report = {
      due: { age: 0, usage: 0 },
      rescheduled: 0,
      dropped: 0,
      reported: 0,
      rotationsStarted: 0,
      rotationStartFailures: 0,
      unconfirmed: 0,
    };
    const { policyDue } = this.deps.stores;
    const outcome = await processPages(
      (cursor) => policyDue.listDue(now, { limit: this.deps.pageSize ?? 25, cursor }),
      async (record) => {
        // Bootstrap tokens are exchanged, not rotated; a rotated-out token is already replaced.
        const reportable =
          record.status === 'active' &&
          kindRules(record).getsAlerts &&
          record.rotatedTo === undefined &&
          record.rotationDueAt === undefined;
        if (!reportable) {
          if (await policyDue.reschedule(record, undefined)) report.dropped += 1;
          return;
        }
        const due = rotationDue(record, this.deps.policies, now);
        if (!due.due) {
          const next = derivePolicyDue(record, this.deps.policies, now);
          if (await policyDue.reschedule(record, next)) report.rescheduled += 1;
          return;
        }
        report.due[due.rule] += 1;
        const result = await this.report(record, due, context);
        if (result === 'claimed-elsewhere') return;
        report.reported += 1;
        if (result.started) report.rotationsStarted += 1;
        if (result.startError !== undefined) report.rotationStartFailures += 1;
        if (!result.confirmed) report.unconfirmed += 1;
      },
      hasTime,
    );
    return { ...outcome, ...report };
  }

  private async report(
    record: TokenRecord,
    due: RotationDue,
    context: AuditContext,
  ): Promise<'claimed-elsewhere' | { started: boolean; startError?: string; confirmed: boolean }> {
    const { stores, publisher, rotations } = this.deps;
    const claim = await stores.alerts.claimRotationDue(
      record.tokenHash,
      this.deps.leaseMs ?? ALERT_LEASE_MS,
    );
    if (claim === undefined) return 'claimed-elsewhere';
    // A secret whose rotation cannot be started (e.g. no longer this stack's) must not stop
    // the owner from hearing that the token is due: the report says it was not started.
    let started = false;
    let startError: string | undefined;
    if (record.secretId !== undefined && rotations !== undefined) {
      try {
        await rotations.start(record.secretId);
        started = true;
      } catch (error) {
        startError = error instanceof Error ? error.message : 'UnknownError';
      }
    }
    let messageId: string;
    try {
      messageId = await publisher.publish(rotationDueAlert(record, due, started));
    } catch (error) {
      await stores.alerts.releaseExpiryAlert(claim).catch(() => undefined); // the lease lapses anyway
      throw error;
    }
    const confirmed = await stores.alerts.confirmRotationDue(
      claim,
      record,
      {
        rule: due.rule,
        source: due.source,
        dueAt: due.dueAt,
        usesPerDay: String(due.usesPerDay),
        rotationStarted: String(started),
        ...(startError === undefined ? {} : { rotationStartError: startError }),
        messageId,
      },
      context,
    );
    return { started, ...(startError === undefined ? {} : { startError }), confirmed };
  }
}
