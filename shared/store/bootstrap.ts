/** The bootstrap exchange: a bootstrap token becomes `used`, once, for an operational token. */
import { bootstrapRefusal } from '../token/lifecycle-rules';
import type { NewToken, TokenRecord } from '../token/record';
import type { AuditContext } from './audit';
import { hashTaken, newToken } from './dynamo/items';
import type { StoreTables } from './dynamo/table';
import {
  isConditionFailure,
  refusalError,
  throwRefusal,
  translateStoreError,
  TokenStoreError,
} from './errors';

export class DynamoBootstrap {
  constructor(private readonly tables: StoreTables) {}

  /**
   * One transaction: the bootstrap token's update (item 0, conditioned on it being an active,
   * unused, unexpired bootstrap token), its audit event, the new token's Put (item 2) and its
   * audit event.
   */
  async exchangeBootstrap(
    bootstrap: TokenRecord,
    operational: NewToken,
    context: AuditContext,
  ): Promise<TokenRecord> {
    const tables = this.tables;
    throwRefusal(bootstrapRefusal(bootstrap, tables.now()));
    const next = newToken(tables, operational);
    const at = tables.now().toISOString();
    try {
      await tables.transact('exchangeBootstrap', [
        tables.updateItem(bootstrap, {
          UpdateExpression:
            'SET #status = :used, exchangedFor = :successor, exchangedAt = :at, #ttl = :ttl REMOVE expiryPartition, endsAt',
          ConditionExpression:
            '#kind = :bootstrap AND #status = :active AND expiresAt > :at AND attribute_not_exists(exchangedFor)',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl', '#kind': 'kind' },
          ExpressionAttributeValues: {
            ':used': 'used',
            ':active': 'active',
            ':bootstrap': 'bootstrap',
            ':successor': next.record.tokenId,
            ':at': at,
            ':ttl': tables.ttlAfter(at),
          },
        }),
        tables.auditPut(
          {
            action: 'token.exchanged',
            targetId: bootstrap.tokenId,
            owner: bootstrap.owner,
            outcome: 'success',
            details: { exchangedFor: next.record.tokenId },
          },
          context,
        ),
        next.put,
        tables.auditPut(
          { ...next.audit, details: { ...next.audit.details, bootstrapId: bootstrap.tokenId } },
          context,
        ),
      ]);
    } catch (error) {
      if (isConditionFailure(error, 2)) throw hashTaken(error);
      return this.afterFailure(error, bootstrap, next.record);
    }
    return next.record;
  }

  /**
   * A commit whose response was lost (the SDK's retry then fails its condition, or the call
   * times out) is ours if the bootstrap token names our token: answer it as done. Otherwise a
   * bootstrap token changed meanwhile is refused as it is now (or a `conflict`).
   */
  private async afterFailure(
    error: unknown,
    bootstrap: TokenRecord,
    next: TokenRecord,
  ): Promise<TokenRecord> {
    const after = await this.tables.tokens
      .getByHash(bootstrap.tokenHash, { consistent: true })
      .catch(() => undefined);
    if (after?.exchangedFor === next.tokenId) return next;
    if (isConditionFailure(error, 0)) {
      const refusal = after === undefined ? undefined : bootstrapRefusal(after, this.tables.now());
      throw refusal === undefined
        ? new TokenStoreError(
            'conflict',
            `Bootstrap token ${bootstrap.tokenId} changed meanwhile`,
            {
              cause: error,
            },
          )
        : refusalError(refusal);
    }
    throw translateStoreError(error, 'exchangeBootstrap');
  }
}
