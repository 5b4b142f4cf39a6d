/**
 * Leases on a token's one-per-threshold expiry alerts and its one "due for rotation" report.
 * Both use the same lease attributes (`alertLease`, `alertLeaseUntil`), so the two never
 * publish for one token at once; a holder that dies leaves a lease that lapses, so an alert is
 * retried, never lost.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { SILENT_KINDS } from '../token/kinds';
import type { TokenRecord } from '../token/record';
import type { AuditContext, AuditInput } from './audit';
import type { StoreTables } from './dynamo/table';
import { POLICY_DUE_ATTRIBUTES } from './policy-due';
import { isConditionFailure, translateStoreError } from './errors';

/** A held lease on one expiry alert; see `claimExpiryAlert`. */
export interface AlertClaim {
  readonly tokenHash: string;
  readonly days: number;
  readonly leaseId: string;
}

/** The token an alert is about, as its audit event names it. */
export type AlertTarget = Pick<TokenRecord, 'tokenId' | 'owner'>;

/** A condition piece with the names and values it uses. */
export interface ConditionPiece {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * " AND" the condition that the token's kind gets alerts: it has no stored kind (operational)
 * or one not in `silent`. Empty when no kind is silent.
 */
export function alertedKindCondition(silent: readonly string[]): ConditionPiece {
  if (silent.length === 0) return { expression: '', names: {}, values: {} };
  const values = Object.fromEntries(silent.map((kind, i) => [`:silent${String(i)}`, kind]));
  return {
    expression: ` AND (attribute_not_exists(#kind) OR NOT #kind IN (${Object.keys(values).join(', ')}))`,
    names: { '#kind': 'kind' },
    values,
  };
}

const ALERTED_KIND = alertedKindCondition(SILENT_KINDS);

export class DynamoAlertLeases {
  constructor(private readonly tables: StoreTables) {}

  async claimExpiryAlert(
    tokenHash: string,
    days: number,
    leaseMs: number,
  ): Promise<AlertClaim | undefined> {
    const leaseId = await this.takeLease(
      'claimExpiryAlert',
      tokenHash,
      '(attribute_not_exists(alertedDays) OR alertedDays > :days)',
      { ':days': days },
      leaseMs,
    );
    return leaseId === undefined ? undefined : { tokenHash, days, leaseId };
  }

  async confirmExpiryAlert(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean> {
    return this.confirmLease(
      'confirmExpiryAlert',
      claim,
      { set: 'alertedDays = :days', values: { ':days': claim.days } },
      {
        action: 'token.expiry-alerted',
        targetId: record.tokenId,
        owner: record.owner,
        outcome: 'success',
        details: { ...details, days: String(claim.days) },
      },
      context,
    );
  }

  async claimRotationDue(tokenHash: string, leaseMs: number): Promise<AlertClaim | undefined> {
    const leaseId = await this.takeLease(
      'claimRotationDue',
      tokenHash,
      'attribute_not_exists(rotationDueAt)',
      {},
      leaseMs,
    );
    return leaseId === undefined ? undefined : { tokenHash, days: 0, leaseId };
  }

  async confirmRotationDue(
    claim: AlertClaim,
    record: AlertTarget,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean> {
    return this.confirmLease(
      'confirmRotationDue',
      claim,
      {
        // Reported once: out of the due index, so later runs never read it again.
        set: 'rotationDueAt = :at',
        remove: POLICY_DUE_ATTRIBUTES,
        values: { ':at': this.tables.now().toISOString() },
      },
      {
        action: 'token.rotation-due',
        targetId: record.tokenId,
        owner: record.owner,
        outcome: 'success',
        details,
      },
      context,
    );
  }

  async releaseExpiryAlert(claim: AlertClaim): Promise<void> {
    try {
      await this.tables.doc.send(
        new UpdateCommand({
          TableName: this.tables.tokensTable,
          Key: { tokenHash: claim.tokenHash },
          UpdateExpression: 'REMOVE alertLease, alertLeaseUntil',
          ConditionExpression: 'alertLease = :lease',
          ExpressionAttributeValues: { ':lease': claim.leaseId },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw translateStoreError(error, 'releaseExpiryAlert');
    }
  }

  /**
   * The lease: held by one caller at a time, only on an active, not rotated-out token of a
   * kind that gets alerts, and only while `condition` holds. Returns the lease id, or
   * undefined when it cannot be taken.
   */
  private async takeLease(
    operation: string,
    tokenHash: string,
    condition: string,
    values: Record<string, unknown>,
    leaseMs: number,
  ): Promise<string | undefined> {
    const now = this.tables.now();
    const leaseId = randomUUID();
    try {
      await this.tables.doc.send(
        new UpdateCommand({
          TableName: this.tables.tokensTable,
          Key: { tokenHash },
          UpdateExpression: 'SET alertLease = :lease, alertLeaseUntil = :until',
          ConditionExpression:
            '#status = :active AND attribute_not_exists(rotatedTo)' +
            ALERTED_KIND.expression +
            ` AND ${condition}` +
            ' AND (attribute_not_exists(alertLeaseUntil) OR alertLeaseUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status', ...ALERTED_KIND.names },
          ExpressionAttributeValues: {
            ...values,
            ...ALERTED_KIND.values,
            ':active': 'active',
            ':lease': leaseId,
            ':now': now.toISOString(),
            ':until': new Date(now.getTime() + leaseMs).toISOString(),
          },
        }),
      );
      return leaseId;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw translateStoreError(error, operation);
    }
  }

  /**
   * End a held lease by recording what was sent (`record.set`), with its audit event, in one
   * transaction. Still active too: a token revoked or retired while its alert was on the way
   * records nothing (and so publishes no lifecycle event after its TokenRevoked).
   */
  private async confirmLease(
    operation: string,
    claim: AlertClaim,
    record: { set: string; remove?: string; values: Record<string, unknown> },
    audit: AuditInput,
    context: AuditContext,
  ): Promise<boolean> {
    try {
      await this.tables.transact(operation, [
        {
          Update: {
            TableName: this.tables.tokensTable,
            Key: { tokenHash: claim.tokenHash },
            UpdateExpression: `SET ${record.set} REMOVE ${[record.remove, 'alertLease, alertLeaseUntil'].filter(Boolean).join(', ')}`,
            ConditionExpression: 'alertLease = :lease AND #status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...record.values,
              ':lease': claim.leaseId,
              ':active': 'active',
            },
          },
        },
        this.tables.auditPut(audit, context),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailure(error, 0)) return false;
      throw translateStoreError(error, operation);
    }
  }
}
