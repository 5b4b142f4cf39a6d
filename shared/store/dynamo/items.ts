/**
 * The items of the two tables: how a stored item is read back (parsed strictly, so a corrupt or
 * foreign item surfaces as `corrupt-item`), and how a new token item is written.
 */
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { kindRules } from '../../token/kinds';
import { derivePolicyDue } from '../../token/policy-due';
import { tokenRecordSchema, type NewToken, type TokenRecord } from '../../token/record';
import type { RotationPolicies } from '../../token/rotation-policy';
import { invalidScopes, quoteScopes } from '../../token/scope';
import { auditEventSchema, epochSeconds, type AuditEvent, type AuditInput } from '../audit';
import { TokenStoreError } from '../errors';
import { policyDueItem } from '../policy-due';
import { LIVE_PARTITION } from '../schema';

/** One item of a TransactWriteItems call. */
export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** A conditional update of one token item, and the audit event that goes with it. */
export interface PlannedChange {
  readonly update: {
    UpdateExpression: string;
    ConditionExpression: string;
    /** Absent when no name is used: DynamoDB refuses an empty map. */
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
  readonly audit: Omit<AuditInput, 'targetId' | 'owner'>;
}

/** A pending token leaves the table by TTL after this, unless its rotation activates it. */
export const PENDING_TTL_SECONDS = 7 * 86_400;

export function parseRecord(item: Record<string, unknown>): TokenRecord {
  const parsed = tokenRecordSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new TokenStoreError('corrupt-item', `Token item is invalid at ${issuePaths(parsed.error)}`);
}

export function parseAuditEvent(item: Record<string, unknown>): AuditEvent {
  const parsed = auditEventSchema.safeParse(item);
  if (parsed.success) return parsed.data;
  throw new TokenStoreError('corrupt-item', `Audit item is invalid at ${issuePaths(parsed.error)}`);
}

/** Paths only: the values could be anything and do not belong in an error message. */
export function issuePaths(error: z.core.$ZodError): string {
  return error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
}

/** Where a new token item goes, and how long it is kept after it ends. */
export interface TokenItemTarget {
  readonly tokensTable: string;
  /** The deployment's rotation policies; unknown: a provisional due date (policy-due.ts). */
  readonly rotationPolicies?: RotationPolicies | undefined;
  ttlAfter(isoTime: string): number;
}

/** The due-index attributes of a token that becomes live now (none for kinds never reported). */
export function liveDueItem(
  target: Pick<TokenItemTarget, 'rotationPolicies'>,
  record: TokenRecord,
  now: Date,
): Record<string, unknown> {
  if (!kindRules(record).getsAlerts) return {};
  return policyDueItem(record.tokenHash, derivePolicyDue(record, target.rotationPolicies, now));
}

/** A new token: its record, the conditional Put that registers it, and its audit event. */
export interface NewTokenWrite {
  readonly record: TokenRecord;
  readonly put: TransactItem;
  readonly audit: AuditInput;
}

/**
 * The item, conditional Put (never over an existing hash) and audit event that register a new
 * token: active and in the expiry index, or with `pending` registered for an unfinished rotation.
 */
export function newToken(
  target: TokenItemTarget,
  input: NewToken,
  pending?: { rotationId: string },
): NewTokenWrite {
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
  const lifecycle =
    pending === undefined
      ? {
          expiryPartition: LIVE_PARTITION,
          endsAt: record.expiresAt,
          ttl: target.ttlAfter(record.expiresAt),
          ...liveDueItem(target, record, input.createdAt),
        }
      : { ttl: epochSeconds(input.createdAt) + PENDING_TTL_SECONDS };
  const put: TransactItem = {
    Put: {
      TableName: target.tokensTable,
      Item: { ...record, ...lifecycle },
      ConditionExpression: 'attribute_not_exists(tokenHash)',
    },
  };
  // The record as it reads back: with its due date (the index's shard is not a record field).
  const stored = parseRecord({ ...record, ...lifecycle });
  return { record: stored, put, audit: createdEvent(stored) };
}

function createdEvent(record: TokenRecord): AuditInput {
  const details: Record<string, string> = { status: record.status };
  if (record.kind !== undefined) details['kind'] = record.kind;
  if (record.rotatedFrom !== undefined) details['rotatedFrom'] = record.rotatedFrom;
  if (record.rotationId !== undefined) details['rotationId'] = record.rotationId;
  return {
    action: 'token.created',
    targetId: record.tokenId,
    owner: record.owner,
    outcome: 'success',
    details,
  };
}

/** The new token's Put found its hash already registered. */
export function hashTaken(cause: unknown): TokenStoreError {
  return new TokenStoreError('already-exists', 'A token with this hash is already registered', {
    cause,
  });
}
