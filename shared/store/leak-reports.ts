/**
 * Leak reports, once per token and report: the token item remembers the fingerprints of the
 * reports it got (`leakReports`) and of the alerts sent for them (`leakAlerts`), so a redelivered
 * report writes no second audit event and sends no second alert. A report of a string that is
 * no token here is recorded under the target `leak:unknown`, keyed by its fingerprint.
 *
 * The fingerprint is a SHA-256 of the token hash and the report's fields: it identifies the
 * report, and is no lookup key for the token.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenRecord } from '../token/record';
import type { AuditContext, AuditInput } from './audit';
import { parseRecord } from './dynamo/items';
import type { ChangeResult, StoreTables } from './dynamo/table';
import { isConditionFailure, translateStoreError, TokenStoreError } from './errors';
import { graceEndPlan } from './secret-sweep';

/** The audit target of reports of strings that are no token of this deployment. */
export const UNKNOWN_LEAK_TARGET = 'leak:unknown';

/** A token as the leak intake sees it: its record, and whether this report was seen before. */
export interface LeakedToken {
  readonly record: TokenRecord;
  /** This report's audit event was written already. */
  readonly reported: boolean;
  /** This report's alert was sent already. */
  readonly alerted: boolean;
}

export interface LeakReportRepository {
  /** The token by hash (one consistent GetItem), with this report's state; undefined if none. */
  find(tokenHash: string, fingerprint: string): Promise<LeakedToken | undefined>;
  /**
   * Write the report's audit event, once: false when this report was recorded already. The
   * event and the fingerprint are one transaction; without `alertDue` the report is also
   * marked as needing no alert.
   */
  record(
    record: TokenRecord,
    fingerprint: string,
    audit: Omit<AuditInput, 'targetId' | 'owner'>,
    context: AuditContext,
    options: { alertDue: boolean },
  ): Promise<boolean>;
  /** Write the audit event of a report of an unknown token, once per fingerprint. */
  recordUnknown(
    fingerprint: string,
    audit: Omit<AuditInput, 'targetId' | 'owner'>,
    context: AuditContext,
  ): Promise<boolean>;
  /** Remember that this report's alert was sent. */
  markAlerted(tokenHash: string, fingerprint: string): Promise<void>;
  /** End a rotated-out token's grace now (as a rotation does), with its audit event. */
  endGrace(tokenHash: string, reason: string, context: AuditContext): Promise<ChangeResult>;
}

const asSet = (value: unknown): ReadonlySet<unknown> =>
  value instanceof Set ? value : new Set<unknown>();

export class DynamoLeakReports implements LeakReportRepository {
  constructor(private readonly tables: StoreTables) {}

  async find(tokenHash: string, fingerprint: string): Promise<LeakedToken | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      ({ Item: item } = await this.tables.doc.send(
        new GetCommand({
          TableName: this.tables.tokensTable,
          Key: { tokenHash },
          ConsistentRead: true,
        }),
      ));
    } catch (error) {
      throw translateStoreError(error, 'findLeaked');
    }
    if (item === undefined) return undefined;
    return {
      record: parseRecord(item),
      reported: asSet(item['leakReports']).has(fingerprint),
      alerted: asSet(item['leakAlerts']).has(fingerprint),
    };
  }

  async record(
    record: TokenRecord,
    fingerprint: string,
    audit: Omit<AuditInput, 'targetId' | 'owner'>,
    context: AuditContext,
    options: { alertDue: boolean },
  ): Promise<boolean> {
    try {
      await this.tables.transact('recordLeak', [
        {
          Update: {
            TableName: this.tables.tokensTable,
            Key: { tokenHash: record.tokenHash },
            UpdateExpression: options.alertDue
              ? 'ADD leakReports :fingerprints'
              : 'ADD leakReports :fingerprints, leakAlerts :fingerprints',
            ConditionExpression:
              'attribute_exists(tokenHash) AND NOT contains(leakReports, :fingerprint)',
            ExpressionAttributeValues: {
              ':fingerprints': new Set([fingerprint]),
              ':fingerprint': fingerprint,
            },
          },
        },
        this.tables.auditPut({ ...audit, targetId: record.tokenId, owner: record.owner }, context),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailure(error, 0)) return false;
      throw translateStoreError(error, 'recordLeak');
    }
  }

  async recordUnknown(
    fingerprint: string,
    audit: Omit<AuditInput, 'targetId' | 'owner'>,
    context: AuditContext,
  ): Promise<boolean> {
    const item = this.tables.auditItem({ ...audit, targetId: UNKNOWN_LEAK_TARGET }, context);
    try {
      await this.tables.doc.send(
        new PutCommand({
          TableName: this.tables.auditTable,
          // The fingerprint is the sort key, so a repeat finds its first record.
          Item: { ...item, eventKey: `report#${fingerprint}` },
          ConditionExpression: 'attribute_not_exists(eventKey)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translateStoreError(error, 'recordUnknownLeak');
    }
  }

  async markAlerted(tokenHash: string, fingerprint: string): Promise<void> {
    try {
      await this.tables.doc.send(
        new UpdateCommand({
          TableName: this.tables.tokensTable,
          Key: { tokenHash },
          UpdateExpression: 'ADD leakAlerts :fingerprints',
          ConditionExpression: 'attribute_exists(tokenHash)',
          ExpressionAttributeValues: { ':fingerprints': new Set([fingerprint]) },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new TokenStoreError('not-found', 'No such token');
      throw translateStoreError(error, 'markLeakAlerted');
    }
  }

  async endGrace(tokenHash: string, reason: string, context: AuditContext): Promise<ChangeResult> {
    return this.tables.change('endGrace', tokenHash, context, (current, now) => {
      const at = now.toISOString();
      if (current.status !== 'active' || current.graceUntil === undefined) return undefined;
      if (current.graceUntil <= at) return undefined;
      return graceEndPlan(current.graceUntil, at, reason, this.tables.ttlAfter(at));
    });
  }
}
