import { DEFAULT_TOKEN_PREFIX, hashToken, parseToken } from './format';
import { effectiveEnd, type TokenRecord } from './record';
import { kindRules } from './kinds';
import { invalidScopes } from './scope';

export const DENY_REASONS = [
  'malformed',
  'unknown',
  'pending',
  'revoked',
  'expired',
  'past-grace',
  'bootstrap',
  'invalid-scope',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type Verdict =
  | { readonly allowed: true; readonly record: TokenRecord; readonly inGrace: boolean }
  | { readonly allowed: false; readonly reason: DenyReason; readonly record?: TokenRecord };

/**
 * The pure decision for a stored token at a given instant. Revocation wins over everything;
 * a predecessor in grace is allowed (zero-downtime rotation) until `graceUntil`, and never
 * past its own expiry.
 */
export function evaluateRecord(record: TokenRecord | undefined, now: Date): Verdict {
  if (record === undefined) return { allowed: false, reason: 'unknown' };
  if (record.status === 'revoked') return { allowed: false, reason: 'revoked', record };
  if (record.status === 'pending') return { allowed: false, reason: 'pending', record };
  // A bootstrap token is only ever good for its own exchange, which checks it itself.
  if (!kindRules(record).authenticates) return { allowed: false, reason: 'bootstrap', record };
  if (record.status === 'used') return { allowed: false, reason: 'revoked', record };
  const at = now.toISOString();
  const end = effectiveEnd(record);
  if (record.status === 'expired' || at >= end) {
    // Name what actually ended it: a grace deadline that came before the token's own expiry.
    const graceEnded = record.graceUntil === end && end < record.expiresAt && at >= end;
    return { allowed: false, reason: graceEnded ? 'past-grace' : 'expired', record };
  }
  // Every write checks the scope grammar, so such an item is legacy or tampered. Denied, not
  // trimmed: the backend context's space-joined scopes could re-split into others (`admin`).
  if (invalidScopes(record.scopes).length > 0) {
    return { allowed: false, reason: 'invalid-scope', record };
  }
  return { allowed: true, record, inGrace: record.graceUntil !== undefined };
}

export interface VerifyDeps {
  readonly lookup: (tokenHash: string) => Promise<TokenRecord | undefined>;
  readonly now: () => Date;
  readonly prefix?: string;
}

/**
 * The one verification path: offline format/checksum check, then a single lookup by hash.
 * Used by the authorizer and by the rotation Lambda's testSecret step.
 */
export async function verifyToken(presented: string, deps: VerifyDeps): Promise<Verdict> {
  const parsed = parseToken(presented, deps.prefix ?? DEFAULT_TOKEN_PREFIX);
  if (!parsed.ok) return { allowed: false, reason: 'malformed' };
  const record = await deps.lookup(hashToken(parsed.token));
  return evaluateRecord(record, deps.now());
}
