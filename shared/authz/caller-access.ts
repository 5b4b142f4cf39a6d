/**
 * What a calling token may still do at the management API, decided on a fresh, consistent read
 * of its record, not on the authorizer's context: API Gateway serves a cached Allow policy for
 * minutes after a revocation, and a rotated-out token keeps passing the authorizer for its whole
 * grace period (that is what zero-downtime rotation needs on backend routes).
 *
 * - active: everything its scopes grant;
 * - rotated out, in grace: reads only (`GET /me`, listings, the audit trail). Nothing that
 *   changes state: a leaked predecessor must not revoke its own replacement, file requests or
 *   mint tokens while the real holder rolls over;
 * - anything else (revoked, expired, past grace, pending, unknown, a bootstrap token used or
 *   not): nothing. Its credential no longer holds: 401.
 */
import type { Verdict } from '../token/verify';

/** A read changes no state; every other route is a write. */
export type Access = 'read' | 'write';

export interface CallerRefusal {
  readonly status: 401 | 403;
  readonly message: string;
}

export function callerRefusal(verdict: Verdict, access: Access): CallerRefusal | undefined {
  if (verdict.allowed) {
    if (!verdict.inGrace || access === 'read') return undefined;
    const successor = verdict.record.rotatedTo;
    return {
      status: 403,
      message: `The calling token was rotated out${successor === undefined ? '' : ` (replaced by ${successor})`}: until its grace period ends it may only read`,
    };
  }
  return { status: 401, message: `The calling token ${DENIED[verdict.reason]}` };
}

const DENIED: Record<Exclude<Verdict, { allowed: true }>['reason'], string> = {
  malformed: 'is not valid',
  unknown: 'is not valid',
  pending: 'belongs to a rotation that has not finished',
  revoked: 'is revoked',
  expired: 'has expired',
  'past-grace': 'was rotated out and its grace period has ended',
  bootstrap: 'is a bootstrap token: it can only be exchanged (POST /tokens/exchange)',
  'invalid-scope': 'has a scope outside the scope grammar: revoke it and issue a new one',
};
