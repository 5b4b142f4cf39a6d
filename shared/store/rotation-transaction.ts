/**
 * The one rotation transaction, shared by a direct rotation (`replace`) and a granted one
 * (`executeRotationGrant`): the successor with its audit event, and the predecessor's grace
 * deadline with its own, on condition that the predecessor is still active and not rotated; for
 * a grant also the request marked executed (conditioned on its grant being approved and
 * unexpired) and a `rotation.executed` event. All of it happens or none.
 */
import { rotationRefusal, type Refusal } from '../token/lifecycle-rules';
import {
  effectiveEnd,
  type NewToken,
  type RotationRequest,
  type TokenRecord,
} from '../token/record';
import { executeGrant, grantUseRefusal } from '../token/rotation-request';
import type { AuditContext } from './audit';
import {
  hashTaken,
  newToken,
  type NewTokenWrite,
  type PlannedChange,
  type TransactItem,
} from './dynamo/items';
import type { StoreTables } from './dynamo/table';
import {
  isConditionFailure,
  refusalError,
  throwRefusal,
  translateStoreError,
  TokenStoreError,
} from './errors';

/**
 * The successor and the predecessor's grace deadline, planned from the predecessor as the
 * rotation's own consistent read saw it (for a grant: approved, with its terms).
 */
export type RotationPlan = (predecessor: TokenRecord) => {
  readonly successor: NewToken;
  readonly graceUntil: Date;
};

export interface Rotated {
  readonly predecessor: TokenRecord;
  readonly successor: TokenRecord;
}

/** What one rotation writes: the new token, the predecessor's change, the executed request. */
interface RotationWrites {
  readonly current: TokenRecord;
  readonly next: NewTokenWrite;
  readonly plan: PlannedChange;
  readonly request: RotationRequest | undefined;
}

/**
 * Rotate the token `predecessorHash` in one transaction; with `requestId`, by using that
 * request's grant. A repeat of a granted rotation whose first attempt committed (a lost
 * response) is recognised by its successor id and answered as a success.
 */
export async function rotateInOneTransaction(
  tables: StoreTables,
  operation: string,
  predecessorHash: string,
  planRotation: RotationPlan,
  context: AuditContext,
  requestId?: string,
): Promise<Rotated> {
  const current = await tables.tokens.getByHash(predecessorHash, { consistent: true });
  if (current === undefined) throw new TokenStoreError('not-found', 'No such token');
  const now = tables.now();
  const refuse = (record: TokenRecord, at: Date) =>
    requestId === undefined ? rotationRefusal(record, at) : grantUseRefusal(record, requestId, at);
  throwRefusal(refuse(current, now));
  // Planned from the read the transaction is conditioned on: a grant's terms are those of
  // this approved request, never of an earlier read (the request may have been pending then).
  const { successor, graceUntil } = planRotation(current);
  const next = newToken(tables, { ...successor, rotatedFrom: current.tokenId });
  const plan = rotationPlan(tables, current, next.record.tokenId, graceUntil);
  const request = executedRequest(current, requestId, context.actor, next.record.tokenId, now);
  const writes: RotationWrites = { current, next, plan, request };
  try {
    await tables.transact(operation, rotationItems(tables, writes, context, now));
  } catch (error) {
    if (isConditionFailure(error, 0)) throw hashTaken(error);
    return afterFailure(tables, error, { operation, predecessorHash, refuse }, writes);
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

/** The request as executed by this rotation, if it uses a grant. */
function executedRequest(
  current: TokenRecord,
  requestId: string | undefined,
  actor: string,
  successorId: string,
  now: Date,
): RotationRequest | undefined {
  if (requestId === undefined) return undefined;
  const step = executeGrant(current, requestId, { actor, successorId }, now);
  if (step.outcome === 'refused') throw refusalError(step.refusal);
  return step.request;
}

/** The transaction, in this order: the successor's Put (item 0), the predecessor (item 2). */
function rotationItems(
  tables: StoreTables,
  { current, next, plan, request }: RotationWrites,
  context: AuditContext,
  now: Date,
): TransactItem[] {
  const owner = current.owner;
  const grant: Record<string, string> =
    request === undefined ? {} : { requestId: request.requestId };
  return [
    next.put,
    tables.auditPut(next.audit, context),
    tables.updateItem(current, request === undefined ? plan.update : grantUse(plan, request, now)),
    tables.auditPut(
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
          tables.auditPut(
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
  ];
}

/** The predecessor's update when a grant rotates it: the request closes in the same write. */
function grantUse(
  { update }: PlannedChange,
  request: RotationRequest,
  now: Date,
): PlannedChange['update'] {
  return {
    UpdateExpression: `${update.UpdateExpression}, rotationRequest = :request REMOVE requestState, requestDeadline`,
    ConditionExpression: `${update.ConditionExpression} AND requestState = :approvedState AND rotationRequest.requestId = :requestId AND requestDeadline > :now`,
    ExpressionAttributeNames: update.ExpressionAttributeNames,
    ExpressionAttributeValues: {
      ...update.ExpressionAttributeValues,
      ':request': request,
      ':approvedState': 'approved',
      ':requestId': request.requestId,
      ':now': now.toISOString(),
    },
  };
}

/**
 * After a failed rotation: a repeat whose first attempt did commit (its response lost) is ours
 * and answered as done; a predecessor changed meanwhile is refused as it is now (or a
 * `conflict`); anything else is the SDK's error.
 */
async function afterFailure(
  tables: StoreTables,
  error: unknown,
  attempt: {
    readonly operation: string;
    readonly predecessorHash: string;
    readonly refuse: (record: TokenRecord, at: Date) => Refusal | undefined;
  },
  { current, next, request }: RotationWrites,
): Promise<Rotated> {
  const after = await tables.tokens
    .getByHash(attempt.predecessorHash, { consistent: true })
    .catch(() => undefined);
  if (request !== undefined && after?.rotationRequest?.successorId === next.record.tokenId) {
    return { predecessor: after, successor: next.record }; // ours: the response was lost
  }
  if (isConditionFailure(error, 2)) {
    const refusal = after === undefined ? undefined : attempt.refuse(after, tables.now());
    throw refusal === undefined
      ? new TokenStoreError('conflict', `Token ${current.tokenId} changed while rotating`, {
          cause: error,
        })
      : refusalError(refusal);
  }
  throw translateStoreError(error, attempt.operation);
}

/**
 * Mark `current` as replaced by `successorId`: it keeps working until `graceUntil`, never
 * past its own expiry, and only if it is still active and not rotated already.
 */
export function rotationPlan(
  tables: StoreTables,
  current: TokenRecord,
  successorId: string,
  graceUntil: Date,
): PlannedChange {
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
        ':ttl': tables.ttlAfter(endsAt),
      },
    },
    audit: {
      action: 'token.rotated',
      outcome: 'success',
      details: { successorId, graceUntil: grace },
    },
  };
}
