/**
 * Rotation requests on their token's item: each step is decided by the request's state machine
 * (shared/token/rotation-request.ts); this only writes what it decided, conditioned on the
 * state it was decided from, and keeps the sparse request index (`requestState`,
 * `requestDeadline`) to the open requests.
 */
import type { RotationRequest, TokenRecord } from '../token/record';
import type { GrantTerms } from '../token/rotation-grant';
import {
  askRotation,
  closeRequest,
  deadlineHeld,
  decideRequest,
  requestDeadline,
  type Closing,
  type Decision,
  type RequestStep,
} from '../token/rotation-request';
import type { AuditContext } from './audit';
import { requestCursor } from './cursor';
import { pageSize, resolveStartKey, tokenPage, type Page, type PageRequest } from './dynamo/paging';
import type { ChangeResult, StoreTables } from './dynamo/table';
import { refusalError } from './errors';
import { rotateInOneTransaction, type Rotated, type RotationPlan } from './rotation-transaction';
import { TOKEN_INDEX } from './schema';

export class DynamoRotationRequests {
  constructor(private readonly tables: StoreTables) {}

  async requestRotation(
    tokenHash: string,
    request: { requestId: string; reason: string },
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.tables.change('requestRotation', tokenHash, context, (current, now) => {
      const value = nextRequest(askRotation(current, request, context.actor, now));
      if (value === undefined) return undefined;
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

  async decideRotation(
    tokenHash: string,
    decision: Decision,
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.tables.change('decideRotation', tokenHash, context, (current, now) => {
      const value = nextRequest(decideRequest(current, decision, context.actor, now));
      if (value === undefined) return undefined;
      const at = now.toISOString();
      const grant = value.state === 'approved' ? value.grantExpiresAt : undefined;
      return {
        update: {
          UpdateExpression:
            grant === undefined
              ? 'SET rotationRequest = :request REMOVE requestState, requestDeadline'
              : 'SET rotationRequest = :request, requestState = :approved, requestDeadline = :grant',
          ConditionExpression:
            'requestState = :pending AND rotationRequest.requestId = :id AND requestDeadline > :now' +
            (grant === undefined
              ? ''
              : ' AND #status = :active AND attribute_not_exists(rotatedTo)'),
          ...(grant === undefined ? {} : { ExpressionAttributeNames: { '#status': 'status' } }),
          ExpressionAttributeValues: {
            ':request': value,
            ':pending': 'pending',
            ':id': value.requestId,
            ':now': at,
            ...(grant === undefined
              ? {}
              : { ':approved': 'approved', ':grant': grant, ':active': 'active' }),
          },
        },
        audit: {
          action: grant === undefined ? 'rotation.rejected' : 'rotation.approved',
          outcome: 'success',
          details: {
            requestId: value.requestId,
            ...(grant === undefined
              ? {}
              : { grantExpiresAt: grant, ...termDetails(decision.terms) }),
          },
        },
      };
    });
  }

  async executeRotationGrant(
    predecessorHash: string,
    requestId: string,
    planRotation: RotationPlan,
    context: AuditContext,
  ): Promise<Rotated> {
    return rotateInOneTransaction(
      this.tables,
      'executeRotationGrant',
      predecessorHash,
      planRotation,
      context,
      requestId,
    );
  }

  async closeRotationRequest(
    tokenHash: string,
    closing: Closing,
    context: AuditContext,
  ): Promise<ChangeResult> {
    return this.tables.change('closeRotationRequest', tokenHash, context, (current, now) => {
      const step = closeRequest(current, closing, now);
      if (step.outcome === 'unchanged') return undefined;
      return {
        update: {
          UpdateExpression: 'SET rotationRequest = :request REMOVE requestState, requestDeadline',
          ConditionExpression: 'requestState = :open AND rotationRequest.requestId = :id',
          ExpressionAttributeValues: {
            ':request': step.request,
            ':open': step.from,
            ':id': step.request.requestId,
          },
        },
        audit: {
          action:
            closing.state === 'failed'
              ? 'rotation.failed'
              : step.from === 'approved'
                ? 'rotation.grant-expired'
                : 'rotation.request-expired',
          outcome: 'success',
          details: {
            requestId: step.request.requestId,
            ...(closing.failure === undefined ? {} : { failure: closing.failure }),
          },
        },
      };
    });
  }

  async listRotationRequests(
    state: 'pending' | 'approved',
    request: PageRequest & { lapsedBy?: Date } = {},
  ): Promise<Page<TokenRecord>> {
    const table = this.tables.tokens;
    const lapsed = request.lapsedBy?.toISOString();
    const index = requestCursor(state, deadlineHeld(state), lapsed);
    const result = await table.query('listRotationRequests', {
      TableName: table.name,
      IndexName: TOKEN_INDEX.byRotationRequest,
      KeyConditionExpression:
        'requestState = :state' + (lapsed === undefined ? '' : ' AND requestDeadline <= :lapsed'),
      ExpressionAttributeValues: {
        ':state': state,
        ...(lapsed === undefined ? {} : { ':lapsed': lapsed }),
      },
      Limit: pageSize(request.limit),
      ExclusiveStartKey: await resolveStartKey(table, index, request.cursor),
    });
    return tokenPage(table, index, result);
  }
}

/** The request a step moves to; undefined for a repeat; a refusal raised as the store's error. */
function nextRequest(step: RequestStep): RotationRequest | undefined {
  if (step.outcome === 'refused') throw refusalError(step.refusal);
  return step.outcome === 'changed' ? step.request : undefined;
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
