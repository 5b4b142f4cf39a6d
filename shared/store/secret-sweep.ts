/**
 * How finishSecret's sweep ends a token of a rotated secret that neither AWSCURRENT nor
 * AWSPREVIOUS holds: the conditional update and its audit event, which
 * `TokenStore.sweepSecret` applies in one transaction conditioned on the state it read.
 */
import { effectiveEnd, type TokenRecord } from '../token/record';
import type { AuditInput } from './audit';

export interface SweepChange {
  readonly update: {
    UpdateExpression: string;
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
  readonly audit: Omit<AuditInput, 'targetId' | 'owner'>;
}

/**
 * A predecessor in grace has its grace ended now (retired at once, out of the expiry index, as
 * activateSuccessor ends an older grace); a pending or active token is revoked. Undefined for a
 * token that has already ended (revoked, expired, used, or past its end): nothing to do.
 */
export function sweepPlan(
  current: TokenRecord,
  now: Date,
  reason: string,
  ttl: number,
): SweepChange | undefined {
  const at = now.toISOString();
  if (current.status !== 'pending' && current.status !== 'active') return undefined;
  if (current.status === 'active' && effectiveEnd(current) <= at) return undefined;
  const names = { '#status': 'status', '#ttl': 'ttl' };
  if (current.graceUntil !== undefined) {
    return {
      update: {
        UpdateExpression:
          'SET graceUntil = :at, #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt',
        ConditionExpression: 'graceUntil = :seen AND #status = :active',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':at': at,
          ':seen': current.graceUntil,
          ':ttl': ttl,
          ':expired': 'expired',
          ':active': 'active',
        },
      },
      audit: { action: 'token.grace-ended', outcome: 'success', details: { endedAt: at, reason } },
    };
  }
  return {
    update: {
      UpdateExpression:
        'SET #status = :revoked, revokedAt = :at, revokeReason = :reason, #ttl = :ttl REMOVE expiryPartition, endsAt',
      // If a grace started meanwhile, the store re-reads and ends that grace instead.
      ConditionExpression: '#status = :seen AND attribute_not_exists(graceUntil)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':revoked': 'revoked',
        ':seen': current.status,
        ':at': at,
        ':reason': reason,
        ':ttl': ttl,
      },
    },
    audit: { action: 'token.revoked', outcome: 'success' },
  };
}
