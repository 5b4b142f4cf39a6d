/**
 * How finishSecret's sweep ends a token of a rotated secret that neither AWSCURRENT nor
 * AWSPREVIOUS holds: the conditional update and its audit event, which
 * `DynamoRotations.sweepSecret` applies in one transaction conditioned on the state it read.
 */
import { effectiveEnd, type TokenRecord } from '../token/record';
import type { PlannedChange } from './dynamo/items';

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
): PlannedChange | undefined {
  const at = now.toISOString();
  if (current.status !== 'pending' && current.status !== 'active') return undefined;
  if (current.status === 'active' && effectiveEnd(current) <= at) return undefined;
  if (current.graceUntil !== undefined) return graceEndPlan(current.graceUntil, at, reason, ttl);
  return {
    update: {
      UpdateExpression:
        'SET #status = :revoked, revokedAt = :at, revokeReason = :reason, #ttl = :ttl REMOVE expiryPartition, endsAt',
      // If a grace started meanwhile, the store re-reads and ends that grace instead.
      ConditionExpression: '#status = :seen AND attribute_not_exists(graceUntil)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
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

/**
 * End at `at` the grace of a rotated-out token whose deadline was `seen`, as cleanup would
 * retire it: `expired` and out of the expiry index, so cleanup never records its grace ending a
 * second time. Conditioned on the deadline read and on the token still being active.
 */
export function graceEndPlan(seen: string, at: string, reason: string, ttl: number): PlannedChange {
  return {
    update: {
      UpdateExpression:
        'SET graceUntil = :at, #status = :expired, #ttl = :ttl REMOVE expiryPartition, endsAt',
      ConditionExpression: 'graceUntil = :seen AND #status = :active',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':at': at,
        ':seen': seen,
        ':ttl': ttl,
        ':expired': 'expired',
        ':active': 'active',
      },
    },
    audit: { action: 'token.grace-ended', outcome: 'success', details: { endedAt: at, reason } },
  };
}
