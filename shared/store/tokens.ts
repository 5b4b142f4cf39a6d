/**
 * Token items: the read-only reader (the authorizer's GetItem and its usage counter), and the
 * repository that registers, lists, revokes and retires tokens.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { usageBringsForward, type UsageSeen } from '../token/policy-due';
import { effectiveEnd, type NewToken, type TokenRecord } from '../token/record';
import type { AuditContext } from './audit';
import { expiryCursor, ownerCursor } from './cursor';
import { hashTaken, newToken } from './dynamo/items';
import { pageSize, resolveStartKey, tokenPage, type Page, type PageRequest } from './dynamo/paging';
import type { ChangeResult, StoreTables, TokenTable } from './dynamo/table';
import { isConditionFailure, translateStoreError } from './errors';
import { POLICY_DUE_ATTRIBUTES } from './policy-due';
import { LIVE_PARTITION, TOKEN_INDEX } from './schema';

/** Reads by hash or id, and the throttled usage counter: all the authorizer may do. */
export class DynamoTokenReader {
  constructor(protected readonly table: TokenTable) {}

  getByHash(tokenHash: string, options?: { consistent?: boolean }) {
    return this.table.getByHash(tokenHash, options);
  }

  getById(tokenId: string) {
    return this.table.getById(tokenId);
  }

  /**
   * Add `count` uses and set lastUsedAt. Callers throttle this (see UsageTracker); it is not
   * a write per request. With `seen` (the token as the caller read it), the same write brings
   * the policy due date forward when this use makes the average cross the heavy-use rate, on
   * condition that the token is still in the due index at a later date; if not, the plain
   * write is made. Returns false when the token no longer exists.
   */
  async recordUsage(
    tokenHash: string,
    count: number,
    at: Date,
    seen?: UsageSeen,
  ): Promise<boolean> {
    const earlier = seen === undefined ? undefined : usageBringsForward(seen, count, at);
    if (earlier !== undefined && (await this.usageWrite(tokenHash, count, at, earlier))) {
      return true;
    }
    return this.usageWrite(tokenHash, count, at, undefined);
  }

  private async usageWrite(
    tokenHash: string,
    count: number,
    at: Date,
    dueAt: string | undefined,
  ): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { tokenHash },
          UpdateExpression:
            dueAt === undefined
              ? 'SET lastUsedAt = :at ADD useCount :count'
              : 'SET lastUsedAt = :at, policyDueAt = :due ADD useCount :count',
          ConditionExpression:
            dueAt === undefined
              ? 'attribute_exists(tokenHash)'
              : 'attribute_exists(tokenHash) AND policyDueAt > :due',
          ExpressionAttributeValues: {
            ':at': at.toISOString(),
            ':count': count,
            ...(dueAt === undefined ? {} : { ':due': dueAt }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translateStoreError(error, 'recordUsage');
    }
  }
}

/** Owner listing filters; they may make pages shorter than `limit`. */
export interface OwnerListing extends PageRequest {
  readonly status?: TokenRecord['status'];
  readonly endingBefore?: Date;
  readonly endingAfter?: Date;
}

export class DynamoTokens extends DynamoTokenReader {
  constructor(private readonly tables: StoreTables) {
    super(tables.tokens);
  }

  /**
   * Register a token (pending: for a rotation that has not finished, out of the expiry index,
   * deleted by TTL after 7 days unless activated), with its audit event.
   */
  async create(
    input: NewToken,
    context: AuditContext,
    options: { pending?: { rotationId: string } } = {},
  ): Promise<TokenRecord> {
    const { record, put, audit } = newToken(this.tables, input, options.pending);
    try {
      await this.tables.transact('create', [put, this.tables.auditPut(audit, context)]);
    } catch (error) {
      if (isConditionFailure(error, 0)) throw hashTaken(error);
      throw translateStoreError(error, 'create');
    }
    return record;
  }

  /** Tokens of one owner, newest first, through the owner index. */
  async listByOwner(owner: string, request: OwnerListing = {}): Promise<Page<TokenRecord>> {
    const index = ownerCursor(owner);
    const startKey = await resolveStartKey(this.table, index, request.cursor);
    const filters: string[] = [];
    const names: Record<string, string> = { '#owner': 'owner' };
    const values: Record<string, unknown> = { ':owner': owner };
    if (request.status !== undefined) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = request.status;
    }
    if (request.endingBefore !== undefined) {
      filters.push('endsAt < :before');
      values[':before'] = request.endingBefore.toISOString();
    }
    if (request.endingAfter !== undefined) {
      filters.push('endsAt >= :after');
      values[':after'] = request.endingAfter.toISOString();
    }
    const result = await this.table.query('listByOwner', {
      TableName: this.table.name,
      IndexName: TOKEN_INDEX.byOwner,
      KeyConditionExpression: '#owner = :owner',
      ScanIndexForward: false,
      Limit: pageSize(request.limit),
      ExclusiveStartKey: startKey,
      ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return tokenPage(this.table, index, result);
  }

  /** Live tokens ending in [from, until), soonest first, through the sparse expiry index. */
  async listEnding(
    window: { from?: Date; until: Date },
    request: PageRequest & { createdBefore?: Date } = {},
  ): Promise<Page<TokenRecord>> {
    const from = (window.from ?? new Date(0)).toISOString();
    // An empty window (e.g. "ending before" a past instant): DynamoDB refuses a BETWEEN whose
    // bounds are reversed, and the answer is known anyway.
    if (window.until.getTime() - 1 < Date.parse(from)) return { items: [], cursor: undefined };
    // BETWEEN is inclusive; the window is half-open, so stop just before `until`.
    const until = new Date(window.until.getTime() - 1).toISOString();
    const index = expiryCursor({ from, until });
    const result = await this.table.query('listEnding', {
      TableName: this.table.name,
      IndexName: TOKEN_INDEX.byExpiry,
      KeyConditionExpression: 'expiryPartition = :live AND endsAt BETWEEN :from AND :until',
      ExpressionAttributeValues: {
        ':live': LIVE_PARTITION,
        ':from': from,
        ':until': until,
        ...(request.createdBefore === undefined
          ? {}
          : { ':createdBefore': request.createdBefore.toISOString() }),
      },
      ...(request.createdBefore === undefined
        ? {}
        : { FilterExpression: 'createdAt < :createdBefore' }),
      Limit: pageSize(request.limit),
      ExclusiveStartKey: await resolveStartKey(this.table, index, request.cursor),
    });
    return tokenPage(this.table, index, result);
  }

  async revoke(tokenHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.tables.change('revoke', tokenHash, context, (current, now) => {
      if (current.status === 'revoked') return undefined;
      const at = now.toISOString();
      return {
        update: {
          UpdateExpression:
            'SET #status = :revoked, revokedAt = :at, revokeReason = :reason, #ttl = :ttl REMOVE expiryPartition, endsAt, ' +
            POLICY_DUE_ATTRIBUTES,
          ConditionExpression: '#status = :current',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':revoked': 'revoked',
            ':current': current.status,
            ':at': at,
            ':reason': context.reason ?? 'unspecified',
            ':ttl': this.tables.ttlAfter(at),
          },
        },
        audit: { action: 'token.revoked', outcome: 'success' },
      };
    });
  }

  /** Retire a live token whose end (expiry, or grace deadline) has passed. */
  async expire(tokenHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.tables.change('expire', tokenHash, context, (current, now) => {
      const end = effectiveEnd(current);
      if (current.status !== 'active' || end > now.toISOString()) return undefined;
      const graceEnded = current.graceUntil !== undefined && current.graceUntil < current.expiresAt;
      return {
        update: {
          UpdateExpression:
            'SET #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt, alertLease, alertLeaseUntil, ' +
            POLICY_DUE_ATTRIBUTES,
          ConditionExpression:
            '#status = :active AND expiresAt = :expiresAt AND ' +
            (current.graceUntil === undefined
              ? 'attribute_not_exists(graceUntil)'
              : 'graceUntil = :graceUntil'),
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':expired': 'expired',
            ':active': 'active',
            ':expiresAt': current.expiresAt,
            ':ttl': this.tables.ttlAfter(end),
            ...(current.graceUntil === undefined ? {} : { ':graceUntil': current.graceUntil }),
          },
        },
        audit: {
          action: graceEnded ? 'token.grace-ended' : 'token.expired',
          outcome: 'success',
          details: { endedAt: end },
        },
      };
    });
  }
}
