/**
 * DynamoDB adapter for tokens and their audit trail. The only module that talks to the tables.
 *
 * - Every state change is one transaction: the conditional token write plus its audit event,
 *   so a change is never recorded without its audit event or the other way round.
 * - Conditions make writes race-safe: create never overwrites, revoke and rotate act once.
 * - SDK errors leave this module as `TokenStoreError`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod/mini';
import {
  effectiveEnd,
  OPEN_REQUEST_STATES,
  tokenRecordSchema,
  type NewToken,
  type RequestState,
  type RotationRequest,
  type TokenRecord,
} from '../token/record';
import { invalidScopes, quoteScopes } from '../token/scope';
import {
  auditEventSchema,
  auditItem,
  epochSeconds,
  type AuditContext,
  type AuditEvent,
  type AuditInput,
} from './audit';
import {
  auditCursor,
  decodeCursor,
  encodeCursor,
  expiryCursor,
  ownerCursor,
  requestCursor,
  tokenStartKey,
  type TokenIndexCursor,
} from './cursor';
import {
  isConditionFailure,
  isTransactionConflict,
  translateStoreError,
  TokenStoreError,
} from './errors';
import { AUDIT_INDEX, LIVE_PARTITION, TOKEN_INDEX } from './schema';
import type { GrantTerms } from '../token/rotation-grant';
import { sweepPlan } from './secret-sweep';
import { DAY_MS, HOUR_MS } from '../time';
import { DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_RETENTION_DAYS } from '../defaults';

export interface TokenStoreOptions {
  readonly client: DynamoDBClient;
  readonly tokensTable: string;
  /** Required for every write but usage; the authorizer, which only reads, has none. */
  readonly auditTable?: string;
  /** Days a token item is kept after it stops authenticating, before TTL deletes it. */
  readonly retentionDays?: number;
  readonly auditRetentionDays?: number;
  readonly now?: () => Date;
}

export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

/** A held lease on one expiry alert; see `claimExpiryAlert`. */
export interface AlertClaim {
  readonly tokenHash: string;
  readonly days: number;
  readonly leaseId: string;
}

/**
 * The successor and the predecessor's grace deadline, planned from the predecessor as the
 * rotation's own consistent read saw it (for a grant: approved, with its terms).
 */
export type RotationPlan = (predecessor: TokenRecord) => {
  readonly successor: NewToken;
  readonly graceUntil: Date;
};

export interface ChangeResult {
  readonly record: TokenRecord;
  /** False when the token was already in the requested state (an idempotent repeat). */
  readonly changed: boolean;
}

const MAX_PAGE = 100;
const TRANSACTION_ATTEMPTS = 4;
const PENDING_TTL_SECONDS = 7 * 86_400;
/** An undecided rotation request lapses after this many days. */
export const REQUEST_DAYS = 7;
/** An approved request's grant must be used within this many hours. */
export const GRANT_HOURS = 24;

export class TokenStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tokensTable: string;
  private readonly auditTableName: string | undefined;
  private readonly retentionSeconds: number;
  private readonly auditRetentionDays: number;
  private readonly now: () => Date;

  constructor(options: TokenStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tokensTable = options.tokensTable;
    this.auditTableName = options.auditTable;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
    this.auditRetentionDays = options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Register a new token. Fails with `already-exists` rather than overwrite an item.
   * With `pending`, the token is registered for a rotation that has not finished: it does not
   * authenticate, is not in the expiry index, and leaves the table by TTL after 7 days unless
   * `activateSuccessor` activates it.
   */
  async create(
    input: NewToken,
    context: AuditContext,
    options: { pending?: { rotationId: string } } = {},
  ): Promise<TokenRecord> {
    const { record, put, audit } = this.newToken(input, options.pending);
    try {
      await this.transact('create', [put, this.auditPut(audit, context)]);
    } catch (error) {
      if (isConditionFailure(error, 0)) throw hashTaken(error);
      throw translateStoreError(error, 'create');
    }
    return record;
  }

  /**
   * Rotate a token in one transaction: register `successor` (active) and give the predecessor
   * a grace deadline (never past its own expiry), with both audit events. Either all of it
   * happens or none: a failure leaves the predecessor exactly as it was. A predecessor that is
   * not active, already rotated, or no longer authenticates is a `conflict`.
   */
  async replace(
    predecessorHash: string,
    successor: NewToken,
    graceUntil: Date,
    context: AuditContext,
  ): Promise<{ predecessor: TokenRecord; successor: TokenRecord }> {
    return this.rotateInOneTransaction(
      'replace',
      predecessorHash,
      () => ({ successor, graceUntil }),
      context,
    );
  }

  /**
   * Ask for a rotation of an active token (its owner does; an admin approves). Refused as a
   * `conflict` while another request is open, or if the token cannot be rotated. The request
   * lapses after `REQUEST_DAYS` unless decided.
   */
  async requestRotation(
    tokenHash: string,
    request: { requestId: string; reason: string },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.change('requestRotation', tokenHash, context, (current, now) => {
      if (current.rotationRequest?.requestId === request.requestId) return undefined;
      const refusal = rotationRefusal(current, now);
      if (refusal !== undefined) throw refusal;
      const open = current.rotationRequest;
      if (open !== undefined && isOpen(open.state)) {
        throw new TokenStoreError(
          'conflict',
          `${current.tokenId} already has an open rotation request (${open.requestId}, ${open.state})`,
        );
      }
      const at = now.toISOString();
      const value: RotationRequest = {
        requestId: request.requestId,
        state: 'pending',
        reason: request.reason,
        requestedBy: context.actor,
        requestedAt: at,
      };
      return {
        update: {
          UpdateExpression:
            'SET rotationRequest = :request, requestState = :pending, requestDeadline = :deadline',
          ConditionExpression:
            '#status = :active AND attribute_not_exists(rotatedTo) AND attribute_not_exists(requestState)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':request': value,
            ':pending': 'pending',
            ':active': 'active',
            ':deadline': requestDeadline(value),
          },
        },
        audit: {
          action: 'rotation.requested',
          outcome: 'success',
          details: { requestId: request.requestId },
        },
      };
    });
  }

  /**
   * Decide an open (pending, not lapsed) request. Approval grants one rotation, to be used
   * within `GRANT_HOURS`; rejection closes the request. Repeating the same decision is a no-op.
   */
  async decideRotation(
    tokenHash: string,
    decision: { requestId: string; approve: boolean; note?: string; terms?: GrantTerms },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.change('decideRotation', tokenHash, context, (current, now) => {
      const request = current.rotationRequest;
      if (request === undefined || request.requestId !== decision.requestId) {
        throw new TokenStoreError('not-found', `No rotation request ${decision.requestId}`);
      }
      const wanted = decision.approve ? 'approved' : 'rejected';
      if (request.state === wanted && request.decidedBy === context.actor) return undefined;
      if (request.state !== 'pending') {
        throw new TokenStoreError(
          'conflict',
          `Rotation request ${request.requestId} is ${request.state}`,
        );
      }
      const deadline = requestDeadline(current.rotationRequest);
      if (deadline !== undefined && deadline <= now.toISOString()) {
        throw new TokenStoreError('gone', `Rotation request ${request.requestId} lapsed`);
      }
      if (decision.approve) {
        const refusal = rotationRefusal(current, now);
        if (refusal !== undefined) throw refusal;
      }
      const at = now.toISOString();
      const grantExpiresAt = new Date(now.getTime() + GRANT_HOURS * HOUR_MS).toISOString();
      const value: RotationRequest = {
        ...request,
        state: wanted,
        decidedBy: context.actor,
        decidedAt: at,
        ...(decision.note === undefined ? {} : { decisionNote: decision.note }),
        ...(decision.approve ? { grantExpiresAt, ...decision.terms } : { closedAt: at }),
      };
      return {
        update: {
          UpdateExpression: decision.approve
            ? 'SET rotationRequest = :request, requestState = :approved, requestDeadline = :grant'
            : 'SET rotationRequest = :request REMOVE requestState, requestDeadline',
          ConditionExpression:
            'requestState = :pending AND rotationRequest.requestId = :id AND requestDeadline > :now' +
            (decision.approve ? ' AND #status = :active AND attribute_not_exists(rotatedTo)' : ''),
          ...(decision.approve ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: {
            ':request': value,
            ':pending': 'pending',
            ':id': request.requestId,
            ':now': at,
            ...(decision.approve
              ? { ':approved': 'approved', ':grant': grantExpiresAt, ':active': 'active' }
              : {}),
          },
        },
        audit: {
          action: decision.approve ? 'rotation.approved' : 'rotation.rejected',
          outcome: 'success',
          details: {
            requestId: request.requestId,
            ...(decision.approve ? { grantExpiresAt, ...termDetails(decision.terms) } : {}),
          },
        },
      };
    });
  }

  /**
   * Use an approved request's grant: rotate the token in one transaction (the successor, the
   * predecessor's grace deadline, the request marked executed, and the audit events), on
   * condition that the grant is unused and unexpired. So a grant works once, and a failure
   * leaves everything as it was. A repeat whose first attempt did commit (a lost response)
   * is recognised by its successor id and answered as a success.
   */
  async executeRotationGrant(
    predecessorHash: string,
    requestId: string,
    planRotation: RotationPlan,
    context: AuditContext,
  ): Promise<{ predecessor: TokenRecord; successor: TokenRecord }> {
    return this.rotateInOneTransaction(
      'executeRotationGrant',
      predecessorHash,
      planRotation,
      context,
      requestId,
    );
  }

  /**
   * The one rotation transaction: the successor with its audit event, and the predecessor's
   * grace deadline with its own, on condition that the predecessor is still active and not
   * rotated; with `requestId`, also the request marked executed (conditioned on its grant
   * being approved and unexpired) and a `rotation.executed` event.
   */
  private async rotateInOneTransaction(
    operation: string,
    predecessorHash: string,
    planRotation: RotationPlan,
    context: AuditContext,
    requestId?: string,
  ): Promise<{ predecessor: TokenRecord; successor: TokenRecord }> {
    const current = await this.getByHash(predecessorHash, { consistent: true });
    if (current === undefined) throw new TokenStoreError('not-found', 'No such token');
    const now = this.now();
    const refuse = (record: TokenRecord, at: Date) =>
      (requestId === undefined ? undefined : grantRefusal(record, requestId, at)) ??
      rotationRefusal(record, at);
    const refusal = refuse(current, now);
    if (refusal !== undefined) throw refusal;
    // Planned from the read the transaction is conditioned on: a grant's terms are those of
    // this approved request, never of an earlier read (the request may have been pending then).
    const { successor, graceUntil } = planRotation(current);
    const next = this.newToken({ ...successor, rotatedFrom: current.tokenId });
    const plan = this.rotationPlan(current, next.record.tokenId, graceUntil);
    const owner = current.owner;
    const request: RotationRequest | undefined =
      requestId === undefined || current.rotationRequest === undefined
        ? undefined
        : {
            ...current.rotationRequest,
            state: 'executed',
            executedBy: context.actor,
            executedAt: now.toISOString(),
            successorId: next.record.tokenId,
            closedAt: now.toISOString(),
          };
    const update =
      request === undefined
        ? plan.update
        : {
            UpdateExpression: `${plan.update.UpdateExpression}, rotationRequest = :request REMOVE requestState, requestDeadline`,
            ConditionExpression: `${plan.update.ConditionExpression} AND requestState = :approvedState AND rotationRequest.requestId = :requestId AND requestDeadline > :now`,
            ExpressionAttributeNames: plan.update.ExpressionAttributeNames,
            ExpressionAttributeValues: {
              ...plan.update.ExpressionAttributeValues,
              ':request': request,
              ':approvedState': 'approved',
              ':requestId': request.requestId,
              ':now': now.toISOString(),
            },
          };
    const grant: Record<string, string> =
      request === undefined ? {} : { requestId: request.requestId };
    try {
      await this.transact(operation, [
        next.put,
        this.auditPut(next.audit, context),
        this.updateItem(current, update),
        this.auditPut(
          {
            ...plan.audit,
            details: { ...plan.audit.details, ...grant },
            targetId: current.tokenId,
            owner,
          },
          context,
        ),
        ...(request === undefined
          ? []
          : [
              this.auditPut(
                {
                  action: 'rotation.executed',
                  targetId: current.tokenId,
                  owner,
                  outcome: 'success',
                  details: { ...grant, successorId: next.record.tokenId },
                },
                context,
              ),
            ]),
      ]);
    } catch (error) {
      if (isConditionFailure(error, 0)) throw hashTaken(error);
      const after = await this.getByHash(predecessorHash, { consistent: true }).catch(
        () => undefined,
      );
      if (request !== undefined && after?.rotationRequest?.successorId === next.record.tokenId) {
        return { predecessor: after, successor: next.record }; // ours: the response was lost
      }
      if (isConditionFailure(error, 2)) {
        throw (
          (after === undefined ? undefined : refuse(after, this.now())) ??
          new TokenStoreError('conflict', `Token ${current.tokenId} changed while rotating`, {
            cause: error,
          })
        );
      }
      throw translateStoreError(error, operation);
    }
    return {
      predecessor: {
        ...current,
        rotatedTo: next.record.tokenId,
        graceUntil: graceUntil.toISOString(),
        ...(request === undefined ? {} : { rotationRequest: request }),
      },
      successor: next.record,
    };
  }

  /**
   * Close an open request that can no longer go ahead: `failed` (its rotation failed; the
   * token is untouched) or `expired` (it lapsed undecided, or its grant went unused). Acts
   * only on the named request while it is open; anything else is a no-op.
   */
  async closeRotationRequest(
    tokenHash: string,
    close: { requestId: string; state: 'failed' | 'expired'; failure?: string },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.change('closeRotationRequest', tokenHash, context, (current, now) => {
      const request = current.rotationRequest;
      if (request === undefined || request.requestId !== close.requestId) return undefined;
      if (!isOpen(request.state)) return undefined;
      const deadline = requestDeadline(current.rotationRequest);
      if (close.state === 'expired' && deadline !== undefined && deadline > now.toISOString()) {
        return undefined;
      }
      const value: RotationRequest = {
        ...request,
        state: close.state,
        closedAt: now.toISOString(),
        ...(close.failure === undefined ? {} : { failure: close.failure }),
      };
      return {
        update: {
          UpdateExpression: 'SET rotationRequest = :request REMOVE requestState, requestDeadline',
          ConditionExpression: 'requestState = :open AND rotationRequest.requestId = :id',
          ExpressionAttributeValues: {
            ':request': value,
            ':open': request.state,
            ':id': request.requestId,
          },
        },
        audit: {
          action:
            close.state === 'failed'
              ? 'rotation.failed'
              : request.state === 'approved'
                ? 'rotation.grant-expired'
                : 'rotation.request-expired',
          outcome: 'success',
          details: {
            requestId: request.requestId,
            ...(close.failure === undefined ? {} : { failure: close.failure }),
          },
        },
      };
    });
  }

  /** Tokens with an open request in `state`, soonest deadline first; `lapsedBy`: only lapsed. */
  async listRotationRequests(
    state: 'pending' | 'approved',
    request: PageRequest & { lapsedBy?: Date } = {},
  ): Promise<Page<TokenRecord>> {
    const lapsed = request.lapsedBy?.toISOString();
    const index = requestCursor(state, deadlineHeld(state), lapsed);
    const result = await this.query('listRotationRequests', {
      TableName: this.tokensTable,
      IndexName: TOKEN_INDEX.byRotationRequest,
      KeyConditionExpression:
        'requestState = :state' + (lapsed === undefined ? '' : ' AND requestDeadline <= :lapsed'),
      ExpressionAttributeValues: {
        ':state': state,
        ...(lapsed === undefined ? {} : { ':lapsed': lapsed }),
      },
      Limit: pageSize(request.limit),
      ExclusiveStartKey: await this.tokenStartKey(index, request.cursor),
    });
    return {
      items: (result.Items ?? []).map(parseRecord),
      cursor: await this.tokenCursor(index, result.LastEvaluatedKey),
    };
  }

  /** The item, conditional Put and audit event that register a new token. */
  private newToken(input: NewToken, pending?: { rotationId: string }) {
    // The last line for every path that registers a token (API, CLI, exchange, rotation).
    const invalid = invalidScopes(input.scopes);
    if (invalid.length > 0) {
      throw new TokenStoreError(
        'corrupt-item',
        `Refusing to store token ${input.tokenId} with invalid scopes: ${quoteScopes(invalid)}`,
      );
    }
    const record: TokenRecord = {
      tokenHash: input.tokenHash,
      tokenId: input.tokenId,
      name: input.name,
      owner: input.owner,
      scopes: [...input.scopes],
      hint: input.hint,
      status: pending === undefined ? 'active' : 'pending',
      createdAt: input.createdAt.toISOString(),
      expiresAt: input.expiresAt.toISOString(),
      metadata: input.metadata === undefined ? undefined : { ...input.metadata },
      rotatedFrom: input.rotatedFrom,
      rotationId: pending?.rotationId,
      kind: input.kind,
      tokenLifetimeDays: input.tokenLifetimeDays,
      tokenExpiresBy: input.tokenExpiresBy?.toISOString(),
      rotationPolicy: input.rotationPolicy,
      secretId: input.secretId,
    };
    const details: Record<string, string> = { status: record.status };
    if (record.kind !== undefined) details['kind'] = record.kind;
    if (record.rotatedFrom !== undefined) details['rotatedFrom'] = record.rotatedFrom;
    if (record.rotationId !== undefined) details['rotationId'] = record.rotationId;
    const lifecycle =
      pending === undefined
        ? {
            expiryPartition: LIVE_PARTITION,
            endsAt: record.expiresAt,
            ttl: this.ttlAfter(record.expiresAt),
          }
        : { ttl: epochSeconds(input.createdAt) + PENDING_TTL_SECONDS };
    const audit: AuditInput = {
      action: 'token.created',
      targetId: record.tokenId,
      owner: record.owner,
      outcome: 'success',
      details,
    };
    const put: TransactItem = {
      Put: {
        TableName: this.tokensTable,
        Item: { ...record, ...lifecycle },
        ConditionExpression: 'attribute_not_exists(tokenHash)',
      },
    };
    return { record, put, audit };
  }

  /**
   * Exchange a bootstrap token for `operational`, once, in one transaction: the bootstrap token
   * becomes `used` (and leaves the expiry index) on condition that it is still an active, unused
   * bootstrap token whose expiry has not passed, so expiry holds even before cleanup runs and
   * two concurrent exchanges cannot both succeed. Refusals are `conflict` (used, revoked) or
   * `gone` (expired), with nothing written.
   */
  async exchangeBootstrap(
    bootstrap: TokenRecord,
    operational: NewToken,
    context: AuditContext,
  ): Promise<TokenRecord> {
    const refusal = bootstrapRefusal(bootstrap, this.now());
    if (refusal !== undefined) throw refusal;
    const next = this.newToken(operational);
    const at = this.now().toISOString();
    try {
      await this.transact('exchangeBootstrap', [
        this.updateItem(bootstrap, {
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
            ':ttl': this.ttlAfter(at),
          },
        }),
        this.auditPut(
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
        this.auditPut(
          { ...next.audit, details: { ...next.audit.details, bootstrapId: bootstrap.tokenId } },
          context,
        ),
      ]);
    } catch (error) {
      if (isConditionFailure(error, 2)) throw hashTaken(error);
      // A commit whose response was lost (the SDK's retry then fails its condition, or the
      // call times out) is ours if the bootstrap token names our token: answer it as done.
      const after = await this.getByHash(bootstrap.tokenHash, { consistent: true }).catch(
        () => undefined,
      );
      if (after?.exchangedFor === next.record.tokenId) return next.record;
      if (isConditionFailure(error, 0)) {
        throw (
          (after === undefined ? undefined : bootstrapRefusal(after, this.now())) ??
          new TokenStoreError(
            'conflict',
            `Bootstrap token ${bootstrap.tokenId} changed meanwhile`,
            {
              cause: error,
            },
          )
        );
      }
      throw translateStoreError(error, 'exchangeBootstrap');
    }
    return next.record;
  }

  /** The authorizer's single read. Eventually consistent unless asked otherwise. */
  async getByHash(
    tokenHash: string,
    options: { consistent?: boolean } = {},
  ): Promise<TokenRecord | undefined> {
    try {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.tokensTable,
          Key: { tokenHash },
          ConsistentRead: options.consistent ?? false,
        }),
      );
      return Item === undefined ? undefined : parseRecord(Item);
    } catch (error) {
      throw translateStoreError(error, 'getByHash');
    }
  }

  /** Look a token up by its public id (index read, then a consistent read of the item). */
  async getById(tokenId: string): Promise<TokenRecord | undefined> {
    const keys = await this.query('getById', {
      TableName: this.tokensTable,
      IndexName: TOKEN_INDEX.byTokenId,
      KeyConditionExpression: 'tokenId = :id',
      ExpressionAttributeValues: { ':id': tokenId },
      Limit: 1,
    });
    const tokenHash: unknown = keys.Items?.[0]?.['tokenHash'];
    if (typeof tokenHash !== 'string') return undefined;
    return this.getByHash(tokenHash, { consistent: true });
  }

  /**
   * Tokens of one owner, newest first. Filters (a status; live tokens ending before an instant)
   * may make pages shorter than `limit`.
   */
  async listByOwner(
    owner: string,
    request: PageRequest & {
      status?: TokenRecord['status'];
      endingBefore?: Date;
      endingAfter?: Date;
    } = {},
  ): Promise<Page<TokenRecord>> {
    const index = ownerCursor(owner);
    const startKey = await this.tokenStartKey(index, request.cursor);
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
    const result = await this.query('listByOwner', {
      TableName: this.tokensTable,
      IndexName: TOKEN_INDEX.byOwner,
      KeyConditionExpression: '#owner = :owner',
      ScanIndexForward: false,
      Limit: pageSize(request.limit),
      ExclusiveStartKey: startKey,
      ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND ') }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return {
      items: (result.Items ?? []).map(parseRecord),
      cursor: await this.tokenCursor(index, result.LastEvaluatedKey),
    };
  }

  /**
   * Live tokens whose end (expiry, or a predecessor's grace deadline) falls in [from, until),
   * soonest first, through the sparse expiry index: the read cost follows the matches only.
   */
  async listEnding(
    window: { from?: Date; until: Date },
    request: PageRequest & {
      /** Only tokens created before this (a filter: the read cost is the whole window). */
      createdBefore?: Date;
    } = {},
  ): Promise<Page<TokenRecord>> {
    const from = (window.from ?? new Date(0)).toISOString();
    // An empty window (e.g. "ending before" a past instant): DynamoDB refuses a BETWEEN whose
    // bounds are reversed, and the answer is known anyway.
    if (window.until.getTime() - 1 < Date.parse(from)) return { items: [], cursor: undefined };
    // BETWEEN is inclusive; the window is half-open, so stop just before `until`.
    const until = new Date(window.until.getTime() - 1).toISOString();
    const index = expiryCursor({ from, until });
    const result = await this.query('listEnding', {
      TableName: this.tokensTable,
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
      ExclusiveStartKey: await this.tokenStartKey(index, request.cursor),
    });
    return {
      items: (result.Items ?? []).map(parseRecord),
      cursor: await this.tokenCursor(index, result.LastEvaluatedKey),
    };
  }

  /** Revoke a token. Idempotent: revoking a revoked token changes nothing and writes nothing. */
  async revoke(tokenHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.change('revoke', tokenHash, context, (current, now) => {
      if (current.status === 'revoked') return undefined;
      const at = now.toISOString();
      return {
        update: {
          UpdateExpression:
            'SET #status = :revoked, revokedAt = :at, revokeReason = :reason, #ttl = :ttl REMOVE expiryPartition, endsAt',
          ConditionExpression: '#status = :current',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':revoked': 'revoked',
            ':current': current.status,
            ':at': at,
            ':reason': context.reason ?? 'unspecified',
            ':ttl': this.ttlAfter(at),
          },
        },
        audit: { action: 'token.revoked', outcome: 'success' },
      };
    });
  }

  /**
   * Record that `successorId` replaced this token: it keeps working until `graceUntil` (never
   * past its own expiry). Acts once per successor: repeating it for the same successor is a
   * no-op; a different successor, a revoked or expired token is a `conflict`.
   */
  async markRotated(
    tokenHash: string,
    rotation: { successorId: string; graceUntil: Date },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.change('markRotated', tokenHash, context, (current) => {
      if (current.rotatedTo === rotation.successorId) return undefined;
      if (current.rotatedTo !== undefined) {
        throw new TokenStoreError('conflict', `Token ${current.tokenId} was already rotated`);
      }
      if (current.status !== 'active') {
        throw new TokenStoreError('conflict', `Token ${current.tokenId} is ${current.status}`);
      }
      return this.rotationPlan(current, rotation.successorId, rotation.graceUntil);
    });
  }

  /**
   * Mark `current` as replaced by `successorId`: it keeps working until `graceUntil`, never
   * past its own expiry, and only if it is still active and not rotated already.
   */
  private rotationPlan(current: TokenRecord, successorId: string, graceUntil: Date): PlannedChange {
    const grace = graceUntil.toISOString();
    const endsAt = effectiveEnd({ expiresAt: current.expiresAt, graceUntil: grace });
    return {
      update: {
        UpdateExpression:
          'SET rotatedTo = :successor, graceUntil = :grace, endsAt = :endsAt, #ttl = :ttl',
        ConditionExpression: '#status = :active AND attribute_not_exists(rotatedTo)',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':successor': successorId,
          ':grace': grace,
          ':endsAt': endsAt,
          ':active': 'active',
          ':ttl': this.ttlAfter(endsAt),
        },
      },
      audit: {
        action: 'token.rotated',
        outcome: 'success',
        details: { successorId, graceUntil: grace },
      },
    };
  }

  /**
   * First half of finishing a rotation, before AWSCURRENT moves: the pending successor becomes
   * active, and `endGraceOf` (the token rotated out by the previous rotation, still in grace)
   * stops working now. So at most two tokens of one secret are ever valid. Repeats are no-ops.
   */
  async activateSuccessor(
    successorHash: string,
    options: { endGraceOf?: string },
    context: AuditContext,
  ): Promise<ChangeResult> {
    for (let attempt = 1; ; attempt++) {
      const at = this.now().toISOString();
      const successor = await this.getByHash(successorHash, { consistent: true });
      if (successor === undefined) throw new TokenStoreError('not-found', 'No such successor');
      if (successor.status !== 'pending' && successor.status !== 'active') {
        throw new TokenStoreError(
          'conflict',
          `Successor ${successor.tokenId} is ${successor.status}`,
        );
      }
      const older =
        options.endGraceOf === undefined
          ? undefined
          : await this.getByHash(options.endGraceOf, { consistent: true });
      const writes: TransactItem[] = [];
      if (successor.status === 'pending') {
        writes.push(
          this.updateItem(successor, {
            UpdateExpression:
              'SET #status = :active, expiryPartition = :live, endsAt = :expires, #ttl = :ttl',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':active': 'active',
              ':pending': 'pending',
              ':live': LIVE_PARTITION,
              ':expires': successor.expiresAt,
              ':ttl': this.ttlAfter(successor.expiresAt),
            },
          }),
          this.auditPut(
            {
              action: 'token.activated',
              targetId: successor.tokenId,
              owner: successor.owner,
              outcome: 'success',
            },
            context,
          ),
        );
      }
      if (older?.status === 'active' && older.graceUntil !== undefined && older.graceUntil > at) {
        writes.push(
          // Retired at once, as cleanup would retire it: out of the expiry index, so cleanup
          // never records its grace ending a second time.
          this.updateItem(older, {
            UpdateExpression:
              'SET graceUntil = :at, #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt',
            ConditionExpression: 'graceUntil = :seen AND #status = :active',
            ExpressionAttributeNames: { '#ttl': 'ttl', '#status': 'status' },
            ExpressionAttributeValues: {
              ':at': at,
              ':seen': older.graceUntil,
              ':ttl': this.ttlAfter(at),
              ':expired': 'expired',
              ':active': 'active',
            },
          }),
          this.auditPut(
            {
              action: 'token.grace-ended',
              targetId: older.tokenId,
              owner: older.owner,
              outcome: 'success',
              details: { endedAt: at, reason: `superseded by ${successor.tokenId}` },
            },
            context,
          ),
        );
      }
      if (writes.length === 0) return { record: successor, changed: false };
      try {
        await this.transact('activateSuccessor', writes);
      } catch (error) {
        if (isConditionFailure(error) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw isConditionFailure(error)
          ? new TokenStoreError('contention', 'activateSuccessor kept losing races', {
              cause: error,
            })
          : translateStoreError(error, 'activateSuccessor');
      }
      const updated = await this.getByHash(successorHash, { consistent: true });
      if (updated === undefined) throw new TokenStoreError('not-found', 'No such successor');
      return { record: updated, changed: true };
    }
  }

  /**
   * Undo `activateSuccessor` when AWSCURRENT could not be moved to the successor: it goes back
   * to `pending` and stops authenticating. Only a successor nothing has rotated away from.
   */
  async deactivateSuccessor(successorHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.change('deactivateSuccessor', successorHash, context, (current, now) => {
      if (current.status === 'pending') return undefined;
      if (current.status !== 'active' || current.rotatedTo !== undefined) {
        throw new TokenStoreError('conflict', `Token ${current.tokenId} cannot go back to pending`);
      }
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

  /**
   * End every live token of secret `secretId` that `keep` does not keep, each in one
   * transaction with its audit event (see `sweepPlan`; `context.reason` says why). Candidates
   * come from the sparse BySecret index (eventually consistent; tokens not past their expiry);
   * `keep` and the plan are decided on a consistent read, so a token already ended, kept, or
   * gone meanwhile is skipped, and a repeat or a concurrent revoke is a no-op.
   * Returns the ids of the tokens it ended.
   */
  async sweepSecret(
    secretId: string,
    keep: (record: TokenRecord) => boolean,
    context: AuditContext,
  ): Promise<string[]> {
    const ended: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.query('sweepSecret', {
        TableName: this.tokensTable,
        IndexName: TOKEN_INDEX.bySecret,
        KeyConditionExpression: 'secretId = :secret AND expiresAt > :now',
        FilterExpression: '#status IN (:pending, :active)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':secret': secretId,
          ':now': this.now().toISOString(),
          ':pending': 'pending',
          ':active': 'active',
        },
        ExclusiveStartKey: startKey,
      });
      for (const seen of (page.Items ?? []).map(parseRecord)) {
        if (keep(seen)) continue;
        const reason = context.reason ?? 'not held by its secret';
        const result = await this.change('sweepSecret', seen.tokenHash, context, (current, now) =>
          keep(current)
            ? undefined
            : sweepPlan(current, now, reason, this.ttlAfter(now.toISOString())),
        ).catch((error: unknown) => {
          if (error instanceof TokenStoreError && error.code === 'not-found') return undefined;
          throw error;
        });
        if (result?.changed === true) ended.push(result.record.tokenId);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return ended;
  }

  /**
   * A cursor for a page of token items. DynamoDB's LastEvaluatedKey of an index query holds the
   * item's table key, the token hash; the cursor carries the public token id in its place, so
   * no hash ever leaves the store.
   */
  private async tokenCursor(
    index: TokenIndexCursor,
    key: Record<string, unknown> | undefined,
  ): Promise<string | undefined> {
    if (key === undefined) return undefined;
    const { tokenHash, ...rest } = key;
    const record = typeof tokenHash === 'string' ? await this.getByHash(tokenHash) : undefined;
    if (record === undefined) {
      throw new TokenStoreError('conflict', 'The last token of the page vanished; list again');
    }
    return encodeCursor(index, { ...rest, tokenId: record.tokenId });
  }

  /** The ExclusiveStartKey for a token cursor: its token id resolved back to the hash. */
  private async tokenStartKey(
    index: TokenIndexCursor,
    cursor: string | undefined,
  ): Promise<Record<string, string> | undefined> {
    const key = decodeCursor(index, cursor);
    if (key === undefined) return undefined;
    return tokenStartKey(index, key, await this.cursorToken(index, key));
  }

  /** The token a decoded cursor names: see `TokenIndexCursor.findAt`. */
  private async cursorToken(
    index: TokenIndexCursor,
    key: Record<string, string>,
  ): Promise<TokenRecord | undefined> {
    const tokenId = key['tokenId'] ?? '';
    if (index.findAt === undefined) return this.getById(tokenId);
    const { indexName, partitionKey } = index.findAt;
    const result = await this.query('cursorToken', {
      TableName: this.tokensTable,
      IndexName: indexName,
      KeyConditionExpression: '#partition = :partition AND #sort = :sort',
      FilterExpression: 'tokenId = :tokenId',
      ExpressionAttributeNames: { '#partition': partitionKey, '#sort': index.sortKey },
      ExpressionAttributeValues: {
        ':partition': key[partitionKey],
        ':sort': key[index.sortKey],
        ':tokenId': tokenId,
      },
    });
    const [item] = result.Items ?? [];
    return item === undefined ? undefined : parseRecord(item);
  }

  private updateItem(record: TokenRecord, update: PlannedChange['update']): TransactItem {
    return {
      Update: { TableName: this.tokensTable, Key: { tokenHash: record.tokenHash }, ...update },
    };
  }

  /**
   * Take a lease on the expiry alert for `days` (a threshold, e.g. 7). At most one caller holds
   * it, and only while no alert as urgent or more urgent was sent, the token is active and not
   * rotated out, and no other unexpired lease exists. The holder publishes, then
   * `confirmExpiryAlert` (sent) or `releaseExpiryAlert` (failed, try again later). A holder that
   * dies leaves a lease that lapses after `leaseMs`, so the alert is retried, never lost.
   */
  async claimExpiryAlert(
    tokenHash: string,
    days: number,
    leaseMs: number,
  ): Promise<AlertClaim | undefined> {
    const leaseId = await this.takeAlertLease(
      'claimExpiryAlert',
      tokenHash,
      '(attribute_not_exists(alertedDays) OR alertedDays > :days)',
      { ':days': days },
      leaseMs,
    );
    return leaseId === undefined ? undefined : { tokenHash, days, leaseId };
  }

  /**
   * Record a sent alert: `alertedDays` moves to the claimed threshold and the lease ends, with
   * its audit event in the same transaction. False if the lease was no longer held (it lapsed
   * and another run took it over), in which case the alert may have been sent twice, or if the
   * token stopped being active meanwhile.
   */
  async confirmExpiryAlert(
    claim: AlertClaim,
    record: Pick<TokenRecord, 'tokenId' | 'owner'>,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean> {
    return this.confirmAlertLease(
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

  /**
   * Take a lease on the one "due for rotation" report of a token, as `claimExpiryAlert` does
   * for expiry alerts (same lease attributes, so the two never publish for a token at once).
   */
  async claimRotationDue(tokenHash: string, leaseMs: number): Promise<AlertClaim | undefined> {
    const leaseId = await this.takeAlertLease(
      'claimRotationDue',
      tokenHash,
      'attribute_not_exists(rotationDueAt)',
      {},
      leaseMs,
    );
    return leaseId === undefined ? undefined : { tokenHash, days: 0, leaseId };
  }

  /** Record a sent "due for rotation" report with its audit event; false if the lease lapsed. */
  async confirmRotationDue(
    claim: AlertClaim,
    record: Pick<TokenRecord, 'tokenId' | 'owner'>,
    details: Readonly<Record<string, string>>,
    context: AuditContext,
  ): Promise<boolean> {
    return this.confirmAlertLease(
      'confirmRotationDue',
      claim,
      { set: 'rotationDueAt = :at', values: { ':at': this.now().toISOString() } },
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

  /**
   * The alert lease: held by one caller at a time, only on an active, not rotated-out,
   * operational token (bootstrap tokens live an hour: nobody is alerted about them), and only
   * while `condition` holds. Returns the lease id, or undefined when it cannot be taken.
   */
  private async takeAlertLease(
    operation: string,
    tokenHash: string,
    condition: string,
    values: Record<string, unknown>,
    leaseMs: number,
  ): Promise<string | undefined> {
    const now = this.now();
    const leaseId = randomUUID();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tokensTable,
          Key: { tokenHash },
          UpdateExpression: 'SET alertLease = :lease, alertLeaseUntil = :until',
          ConditionExpression:
            '#status = :active AND attribute_not_exists(rotatedTo) AND attribute_not_exists(kind)' +
            ` AND ${condition}` +
            ' AND (attribute_not_exists(alertLeaseUntil) OR alertLeaseUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...values,
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
  private async confirmAlertLease(
    operation: string,
    claim: AlertClaim,
    record: { set: string; values: Record<string, unknown> },
    audit: AuditInput,
    context: AuditContext,
  ): Promise<boolean> {
    try {
      await this.transact(operation, [
        {
          Update: {
            TableName: this.tokensTable,
            Key: { tokenHash: claim.tokenHash },
            UpdateExpression: `SET ${record.set} REMOVE alertLease, alertLeaseUntil`,
            ConditionExpression: 'alertLease = :lease AND #status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...record.values,
              ':lease': claim.leaseId,
              ':active': 'active',
            },
          },
        },
        this.auditPut(audit, context),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailure(error, 0)) return false;
      throw translateStoreError(error, operation);
    }
  }

  /** Give a lease back after a failed publish, so the next run tries again at once. */
  async releaseExpiryAlert(claim: AlertClaim): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tokensTable,
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
   * Retire a live token whose end has passed: an expired token, or a rotated predecessor whose
   * grace ended. It leaves the expiry index (so the schedules stop reading it), becomes
   * `expired`, and TTL deletes it after the retention period. A token whose end has not come,
   * or that is no longer active, is left alone (`changed: false`), so repeats are harmless.
   */
  async expire(tokenHash: string, context: AuditContext): Promise<ChangeResult> {
    return this.change('expire', tokenHash, context, (current, now) => {
      const end = effectiveEnd(current);
      if (current.status !== 'active' || end > now.toISOString()) return undefined;
      const graceEnded = current.graceUntil !== undefined && current.graceUntil < current.expiresAt;
      return {
        update: {
          UpdateExpression:
            'SET #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt, alertLease, alertLeaseUntil',
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
            ':ttl': this.ttlAfter(end),
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

  /**
   * Add `count` uses and set lastUsedAt. Callers throttle this (see UsageTracker); it is not
   * a write per request. Returns false when the token no longer exists.
   */
  async recordUsage(tokenHash: string, count: number, at: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tokensTable,
          Key: { tokenHash },
          UpdateExpression: 'SET lastUsedAt = :at ADD useCount :count',
          ConditionExpression: 'attribute_exists(tokenHash)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':count': count },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translateStoreError(error, 'recordUsage');
    }
  }

  /** Write an audit event on its own: for outcomes that change no token (failures). */
  async recordAudit(input: AuditInput, context: AuditContext): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.auditTable,
          Item: auditItem(input, context, this.now(), this.auditRetentionDays),
        }),
      );
    } catch (error) {
      throw translateStoreError(error, 'recordAudit');
    }
  }

  /** Audit events of one token, newest first. */
  async listAudit(targetId: string, request: PageRequest = {}): Promise<Page<AuditEvent>> {
    return this.auditPage('listAudit', ['targetId', targetId], undefined, request);
  }

  /** Audit events of one day (`2026-11-23`, UTC), newest first. */
  async listAuditByDay(day: string, request: PageRequest = {}): Promise<Page<AuditEvent>> {
    return this.auditPage('listAuditByDay', ['day', day], AUDIT_INDEX.byDay, request);
  }

  /** One page of audit events of one partition (of the table, or of an index), newest first. */
  private async auditPage(
    operation: string,
    [name, value]: ['targetId' | 'day', string],
    indexName: string | undefined,
    request: PageRequest,
  ): Promise<Page<AuditEvent>> {
    const shape = auditCursor(name, value);
    const result = await this.query(operation, {
      TableName: this.auditTable,
      ...(indexName === undefined ? {} : { IndexName: indexName }),
      KeyConditionExpression: '#partition = :partition',
      ExpressionAttributeNames: { '#partition': name },
      ExpressionAttributeValues: { ':partition': value },
      ScanIndexForward: false,
      Limit: pageSize(request.limit),
      ExclusiveStartKey: decodeCursor(shape, request.cursor),
    });
    return {
      items: (result.Items ?? []).map(parseAuditEvent),
      cursor: encodeCursor(shape, result.LastEvaluatedKey),
    };
  }

  /**
   * Read-decide-write for one token: read it consistently, let `decide` plan an update (or
   * return undefined for "already done"), then apply the update and its audit event in one
   * transaction conditioned on the state that was read. A lost race re-reads and decides again.
   */
  private async change(
    operation: string,
    tokenHash: string,
    context: AuditContext,
    decide: (current: TokenRecord, now: Date) => PlannedChange | undefined,
  ): Promise<ChangeResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getByHash(tokenHash, { consistent: true });
      if (current === undefined) throw new TokenStoreError('not-found', 'No such token');
      const now = this.now();
      const plan = decide(current, now);
      if (plan === undefined) return { record: current, changed: false };
      try {
        await this.transact(operation, [
          { Update: { TableName: this.tokensTable, Key: { tokenHash }, ...plan.update } },
          this.auditPut(
            { ...plan.audit, targetId: current.tokenId, owner: current.owner },
            context,
          ),
        ]);
      } catch (error) {
        if (isConditionFailure(error, 0) && attempt < TRANSACTION_ATTEMPTS) continue;
        throw isConditionFailure(error, 0)
          ? new TokenStoreError('contention', `${operation} kept losing races`, { cause: error })
          : translateStoreError(error, operation);
      }
      const updated = await this.getByHash(tokenHash, { consistent: true });
      if (updated === undefined) throw new TokenStoreError('not-found', 'No such token');
      return { record: updated, changed: true };
    }
  }

  private auditPut(input: AuditInput, context: AuditContext): TransactItem {
    return {
      Put: {
        TableName: this.auditTable,
        Item: auditItem(input, context, this.now(), this.auditRetentionDays),
      },
    };
  }

  /**
   * TransactWriteItems, retried on TransactionConflict: two transactions touching one item at
   * the same moment can both be cancelled, and a retry then sees the winner's write.
   */
  private async transact(operation: string, items: TransactItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
        if (attempt >= TRANSACTION_ATTEMPTS) {
          throw new TokenStoreError('contention', `${operation} conflicted with other writes`, {
            cause: error,
          });
        }
        await sleep(10 * 2 ** attempt * Math.random());
      }
    }
  }

  private async query(operation: string, input: QueryCommandInput) {
    try {
      return await this.doc.send(new QueryCommand(input));
    } catch (error) {
      throw translateStoreError(error, operation);
    }
  }

  private get auditTable(): string {
    if (this.auditTableName === undefined) {
      throw new Error('This TokenStore was built without an audit table; it cannot write changes');
    }
    return this.auditTableName;
  }

  private ttlAfter(isoTime: string): number {
    return epochSeconds(new Date(isoTime)) + this.retentionSeconds;
  }
}

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

interface PlannedChange {
  readonly update: {
    UpdateExpression: string;
    ConditionExpression: string;
    /** Absent when no name is used: DynamoDB refuses an empty map. */
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
  readonly audit: Omit<AuditInput, 'targetId' | 'owner'>;
}

/** Why `record` cannot be rotated now (by any means), or undefined if it can. */
function rotationRefusal(record: TokenRecord, now: Date): TokenStoreError | undefined {
  if (record.kind === 'bootstrap') {
    return new TokenStoreError(
      'conflict',
      `${record.tokenId} is a bootstrap token: it is exchanged, not rotated`,
    );
  }
  const ended = effectiveEnd(record) <= now.toISOString();
  if (record.status === 'active' && record.rotatedTo === undefined && !ended) return undefined;
  return new TokenStoreError(
    'conflict',
    `Token ${record.tokenId} cannot be rotated: it is ${record.rotatedTo === undefined ? record.status : 'already rotated'}${ended ? ' and has ended' : ''}`,
  );
}

/** Why the grant of request `requestId` cannot be used now, or undefined if it can. */
function grantRefusal(
  record: TokenRecord,
  requestId: string,
  now: Date,
): TokenStoreError | undefined {
  const request = record.rotationRequest;
  if (request === undefined || request.requestId !== requestId) {
    return new TokenStoreError('not-found', `No rotation request ${requestId}`);
  }
  if (request.state === 'executed') {
    return new TokenStoreError(
      'conflict',
      `The grant of rotation request ${requestId} was already used at ${request.executedAt ?? '?'}: it is single-use`,
    );
  }
  if (request.state === 'expired' && request.grantExpiresAt !== undefined) {
    return new TokenStoreError(
      'gone',
      `The grant of rotation request ${requestId} expired at ${request.grantExpiresAt}`,
    );
  }
  if (request.state !== 'approved') {
    return new TokenStoreError(
      'conflict',
      `Rotation request ${requestId} is ${request.state}, not approved`,
    );
  }
  if (request.grantExpiresAt === undefined || request.grantExpiresAt <= now.toISOString()) {
    return new TokenStoreError(
      'gone',
      `The grant of rotation request ${requestId} expired at ${request.grantExpiresAt ?? '?'}: ask for a new rotation`,
    );
  }
  return undefined;
}

/** A grant's terms as audit details (strings only). */
function termDetails(terms: GrantTerms | undefined): Record<string, string> {
  if (terms === undefined) return {};
  return {
    successorLifetimeDays: String(terms.successorLifetimeDays),
    successorGraceDays: String(terms.successorGraceDays),
    ...(terms.successorExpiresBy === undefined
      ? {}
      : { successorExpiresBy: terms.successorExpiresBy }),
  };
}

function isOpen(state: RequestState): boolean {
  return OPEN_REQUEST_STATES.some((open) => open === state);
}

/**
 * When an open request lapses (its `requestDeadline`, the request index's sort key): the pending
 * deadline, or the grant's expiry once approved.
 */
function requestDeadline(request: RotationRequest | undefined): string | undefined {
  if (request === undefined) return undefined;
  if (request.state === 'approved') return request.grantExpiresAt;
  if (request.state === 'pending') {
    return new Date(Date.parse(request.requestedAt) + REQUEST_DAYS * DAY_MS).toISOString();
  }
  return undefined;
}

/**
 * The deadline a token's request has, or had, in the request index while in `state`: a closed
 * request keeps its times, so a cursor naming it still marks its place (cleanup closes a page
 * of requests before it reads the next).
 */
function deadlineHeld(state: 'pending' | 'approved') {
  return (record: TokenRecord): string | undefined =>
    record.rotationRequest === undefined
      ? undefined
      : requestDeadline({ ...record.rotationRequest, state });
}

/** Why a bootstrap token cannot be exchanged now, or undefined if it can. */
function bootstrapRefusal(record: TokenRecord, now: Date): TokenStoreError | undefined {
  if (record.kind !== 'bootstrap') {
    return new TokenStoreError('conflict', `${record.tokenId} is not a bootstrap token`);
  }
  if (record.status === 'used' || record.exchangedFor !== undefined) {
    return new TokenStoreError(
      'conflict',
      `Bootstrap token ${record.tokenId} was already exchanged${record.exchangedAt === undefined ? '' : ` at ${record.exchangedAt}`}: it is single-use`,
    );
  }
  if (record.status === 'revoked') {
    return new TokenStoreError('conflict', `Bootstrap token ${record.tokenId} was revoked`);
  }
  if (record.status !== 'active' || record.expiresAt <= now.toISOString()) {
    return new TokenStoreError(
      'gone',
      `Bootstrap token ${record.tokenId} expired at ${record.expiresAt}: ask an admin for a new one`,
    );
  }
  return undefined;
}

/** The new token's Put (transaction item 0) found its hash already registered. */
function hashTaken(cause: unknown): TokenStoreError {
  return new TokenStoreError('already-exists', 'A token with this hash is already registered', {
    cause,
  });
}

function parseRecord(item: Record<string, unknown>): TokenRecord {
  const parsed = tokenRecordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new TokenStoreError('corrupt-item', `Token item is invalid at ${issuePaths(parsed.error)}`);
}

function parseAuditEvent(item: Record<string, unknown>): AuditEvent {
  const parsed = auditEventSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new TokenStoreError('corrupt-item', `Audit item is invalid at ${issuePaths(parsed.error)}`);
}

/** Paths only: the values could be anything and do not belong in an error message. */
function issuePaths(error: z.core.$ZodError): string {
  return error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
}

function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), MAX_PAGE);
}
