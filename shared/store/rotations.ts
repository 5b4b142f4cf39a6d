/**
 * Rotations: a direct rotation (the one rotation transaction), and the steps of a Secrets
 * Manager rotation (mark rotated, activate or deactivate the successor, sweep the secret).
 */
import { deactivateRefusal, markRotatedRefusal, successorRefusal } from '../token/lifecycle-rules';
import type { NewToken, TokenRecord } from '../token/record';
import { epochSeconds, type AuditContext } from './audit';
import { liveDueItem, parseRecord, PENDING_TTL_SECONDS, type TransactItem } from './dynamo/items';
import { TRANSACTION_ATTEMPTS, type ChangeResult, type StoreTables } from './dynamo/table';
import { isConditionFailure, throwRefusal, translateStoreError, TokenStoreError } from './errors';
import { rotateInOneTransaction, rotationPlan, type Rotated } from './rotation-transaction';
import { TOKEN_INDEX, LIVE_PARTITION } from './schema';
import { graceEndPlan, sweepPlan } from './secret-sweep';

export class DynamoRotations {
  constructor(private readonly tables: StoreTables) {}

  async replace(
    predecessorHash: string,
    successor: NewToken,
    graceUntil: Date,
    context: AuditContext,
  ): Promise<Rotated> {
    return rotateInOneTransaction(
      this.tables,
      'replace',
      predecessorHash,
      () => ({ successor, graceUntil }),
      context,
    );
  }

  async markRotated(
    tokenHash: string,
    rotation: { successorId: string; graceUntil: Date },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.tables.change('markRotated', tokenHash, context, (current) => {
      if (current.rotatedTo === rotation.successorId) return undefined;
      throwRefusal(markRotatedRefusal(current));
      return rotationPlan(this.tables, current, rotation.successorId, rotation.graceUntil);
    });
  }

  /** Retried on a lost race: both writes are conditioned on what was read. */
  async activateSuccessor(
    successorHash: string,
    options: { endGraceOf?: string },
    context: AuditContext,
  ): Promise<ChangeResult> {
    const tokens = this.tables.tokens;
    for (let attempt = 1; ; attempt++) {
      const at = this.tables.now().toISOString();
      const successor = await tokens.getByHash(successorHash, { consistent: true });
      if (successor === undefined) throw new TokenStoreError('not-found', 'No such successor');
      throwRefusal(successorRefusal(successor));
      const older =
        options.endGraceOf === undefined
          ? undefined
          : await tokens.getByHash(options.endGraceOf, { consistent: true });
      const writes = [
        ...this.activation(successor, context),
        ...this.graceEnd(older, successor, at, context),
      ];
      if (writes.length === 0) return { record: successor, changed: false };
      try {
        await this.tables.transact('activateSuccessor', writes);
      } catch (error) {
        if (isConditionFailure(error) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw isConditionFailure(error)
          ? new TokenStoreError('contention', 'activateSuccessor kept losing races', {
              cause: error,
            })
          : translateStoreError(error, 'activateSuccessor');
      }
      const updated = await tokens.getByHash(successorHash, { consistent: true });
      if (updated === undefined) throw new TokenStoreError('not-found', 'No such successor');
      return { record: updated, changed: true };
    }
  }

  /** A pending successor becomes active and enters the expiry index; an active one stays. */
  private activation(successor: TokenRecord, context: AuditContext): TransactItem[] {
    if (successor.status !== 'pending') return [];
    const due = Object.entries(liveDueItem(this.tables, successor, this.tables.now()));
    return [
      this.tables.updateItem(successor, {
        UpdateExpression:
          'SET #status = :active, expiryPartition = :live, endsAt = :expires, #ttl = :ttl' +
          due.map(([name]) => `, ${name} = :${name}`).join(''),
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(due.map(([name, value]) => [`:${name}`, value])),
          ':active': 'active',
          ':pending': 'pending',
          ':live': LIVE_PARTITION,
          ':expires': successor.expiresAt,
          ':ttl': this.tables.ttlAfter(successor.expiresAt),
        },
      }),
      this.tables.auditPut(
        {
          action: 'token.activated',
          targetId: successor.tokenId,
          owner: successor.owner,
          outcome: 'success',
        },
        context,
      ),
    ];
  }

  /** The previous rotation's predecessor, if still in grace, stops working now. */
  private graceEnd(
    older: TokenRecord | undefined,
    successor: TokenRecord,
    at: string,
    context: AuditContext,
  ): TransactItem[] {
    if (older?.status !== 'active' || older.graceUntil === undefined || older.graceUntil <= at) {
      return [];
    }
    const reason = `superseded by ${successor.tokenId}`;
    const plan = graceEndPlan(older.graceUntil, at, reason, this.tables.ttlAfter(at));
    return [
      this.tables.updateItem(older, plan.update),
      this.tables.auditPut({ ...plan.audit, targetId: older.tokenId, owner: older.owner }, context),
    ];
  }

  async deactivateSuccessor(successorHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.tables.change('deactivateSuccessor', successorHash, context, (current, now) => {
      if (current.status === 'pending') return undefined;
      throwRefusal(deactivateRefusal(current));
      return {
        update: {
          UpdateExpression: 'SET #status = :pending, #ttl = :ttl REMOVE expiryPartition, endsAt',
          ConditionExpression: '#status = :active AND attribute_not_exists(rotatedTo)',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':active': 'active',
            ':ttl': epochSeconds(now) + PENDING_TTL_SECONDS,
          },
        },
        audit: { action: 'token.deactivated', outcome: 'success' },
      };
    });
  }

  /** Candidates from the BySecret index; each decided and ended on a consistent read. */
  async sweepSecret(
    secretId: string,
    keep: (record: TokenRecord) => boolean,
    context: AuditContext,
  ): Promise<string[]> {
    const ended: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.tables.query('sweepSecret', {
        TableName: this.tables.tokensTable,
        IndexName: TOKEN_INDEX.bySecret,
        KeyConditionExpression: 'secretId = :secret AND expiresAt > :now',
        FilterExpression: '#status IN (:pending, :active)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':secret': secretId,
          ':now': this.tables.now().toISOString(),
          ':pending': 'pending',
          ':active': 'active',
        },
        ExclusiveStartKey: startKey,
      });
      for (const seen of (page.Items ?? []).map(parseRecord)) {
        if (keep(seen)) continue;
        const id = await this.sweepOne(seen.tokenHash, keep, context);
        if (id !== undefined) ended.push(id);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return ended;
  }

  /** End one token of the secret unless kept; its id if it ended it, undefined if not. */
  private async sweepOne(
    tokenHash: string,
    keep: (record: TokenRecord) => boolean,
    context: AuditContext,
  ): Promise<string | undefined> {
    const reason = context.reason ?? 'not held by its secret';
    const result = await this.tables
      .change('sweepSecret', tokenHash, context, (current, now) =>
        keep(current)
          ? undefined
          : sweepPlan(current, now, reason, this.tables.ttlAfter(now.toISOString())),
      )
      .catch((error: unknown) => {
        if (error instanceof TokenStoreError && error.code === 'not-found') return undefined;
        throw error;
      });
    return result?.changed === true ? result.record.tokenId : undefined;
  }
}
