/**
 * The token lifecycle's refusals, as pure functions of a record and the time: why a token cannot
 * be rotated, a grant used, a bootstrap token exchanged, a successor activated or deactivated.
 * Each returns a `Refusal` (the store raises it as its error, with the same code and message)
 * or undefined when the step may go ahead. Idempotent repeats ("already done") are the caller's
 * first check: these rules answer only for a step that is not done yet.
 */
import { kindRules, whyNotRotated } from './kinds';
import { effectiveEnd, type TokenRecord } from './record';

/** Why a step is refused: `gone` when the thing existed but its time is up. */
export interface Refusal {
  readonly code: 'conflict' | 'gone' | 'not-found';
  readonly message: string;
}

const conflict = (message: string): Refusal => ({ code: 'conflict', message });
const gone = (message: string): Refusal => ({ code: 'gone', message });

/** The token has no rotation request `requestId` (none, or a different one). */
export function noRequest(requestId: string): Refusal {
  return { code: 'not-found', message: `No rotation request ${requestId}` };
}

/** Why `record` cannot be rotated now (by any means), or undefined if it can. */
export function rotationRefusal(record: TokenRecord, now: Date): Refusal | undefined {
  const notRotated = whyNotRotated(record);
  if (notRotated !== undefined) return conflict(notRotated);
  const ended = effectiveEnd(record) <= now.toISOString();
  if (record.status === 'active' && record.rotatedTo === undefined && !ended) return undefined;
  return conflict(
    `Token ${record.tokenId} cannot be rotated: it is ${record.rotatedTo === undefined ? record.status : 'already rotated'}${ended ? ' and has ended' : ''}`,
  );
}

/** Why the grant of request `requestId` cannot be used now, or undefined if it can. */
export function grantRefusal(
  record: TokenRecord,
  requestId: string,
  now: Date,
): Refusal | undefined {
  const request = record.rotationRequest;
  if (request === undefined || request.requestId !== requestId) {
    return noRequest(requestId);
  }
  if (request.state === 'executed') {
    return conflict(
      `The grant of rotation request ${requestId} was already used at ${request.executedAt ?? '?'}: it is single-use`,
    );
  }
  if (request.state === 'expired' && request.grantExpiresAt !== undefined) {
    return gone(`The grant of rotation request ${requestId} expired at ${request.grantExpiresAt}`);
  }
  if (request.state !== 'approved') {
    return conflict(`Rotation request ${requestId} is ${request.state}, not approved`);
  }
  if (request.grantExpiresAt === undefined || request.grantExpiresAt <= now.toISOString()) {
    return gone(
      `The grant of rotation request ${requestId} expired at ${request.grantExpiresAt ?? '?'}: ask for a new rotation`,
    );
  }
  return undefined;
}

/** Why `record` cannot be exchanged for an operational token now, or undefined if it can. */
export function bootstrapRefusal(record: TokenRecord, now: Date): Refusal | undefined {
  if (!kindRules(record).exchanges) {
    return conflict(`${record.tokenId} is not a bootstrap token`);
  }
  if (record.status === 'used' || record.exchangedFor !== undefined) {
    return conflict(
      `Bootstrap token ${record.tokenId} was already exchanged${record.exchangedAt === undefined ? '' : ` at ${record.exchangedAt}`}: it is single-use`,
    );
  }
  if (record.status === 'revoked') {
    return conflict(`Bootstrap token ${record.tokenId} was revoked`);
  }
  if (record.status !== 'active' || record.expiresAt <= now.toISOString()) {
    return gone(
      `Bootstrap token ${record.tokenId} expired at ${record.expiresAt}: ask an admin for a new one`,
    );
  }
  return undefined;
}

/**
 * Why `record` cannot be marked as replaced by a successor (a Secrets Manager rotation's
 * bookkeeping), or undefined if it can. The caller first treats "rotated to this very
 * successor" as done.
 */
export function markRotatedRefusal(record: TokenRecord): Refusal | undefined {
  if (record.rotatedTo !== undefined) {
    return conflict(`Token ${record.tokenId} was already rotated`);
  }
  if (record.status !== 'active') return conflict(`Token ${record.tokenId} is ${record.status}`);
  return undefined;
}

/** Why a rotation's successor cannot be activated: only a pending or active one can. */
export function successorRefusal(successor: TokenRecord): Refusal | undefined {
  if (successor.status === 'pending' || successor.status === 'active') return undefined;
  return conflict(`Successor ${successor.tokenId} is ${successor.status}`);
}

/**
 * Why an activated successor cannot go back to pending (when AWSCURRENT could not move to it):
 * only an active one that nothing has rotated away from can. The caller first treats a pending
 * successor as done.
 */
export function deactivateRefusal(successor: TokenRecord): Refusal | undefined {
  if (successor.status === 'active' && successor.rotatedTo === undefined) return undefined;
  return conflict(`Token ${successor.tokenId} cannot go back to pending`);
}
