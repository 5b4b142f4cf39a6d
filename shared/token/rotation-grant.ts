/**
 * What an approved rotation request rotates into. The approver fixes it when approving, so
 * whoever uses the grant later cannot stretch it: the successor's lifetime is the predecessor's
 * own unless the approver sets one, it never outlives the approving token, and the
 * predecessor's grace is the deployment's default unless the approver sets it.
 */
import { mintSuccessor, type Minted } from './mint';
import type { RotationRequest, TokenRecord } from './record';
import { DAY_MS } from '../time';
import { DEFAULT_GRACE_DAYS } from '../defaults';

export interface GrantTerms {
  readonly successorLifetimeDays: number;
  readonly successorGraceDays: number;
  /** The approving token's expiry; absent for an operator with direct table access. */
  readonly successorExpiresBy?: string;
}

/** A token's own lifetime, in days (fractional when it was capped at its issuer's expiry). */
export function lifetimeDays(record: Pick<TokenRecord, 'createdAt' | 'expiresAt'>): number {
  return (Date.parse(record.expiresAt) - Date.parse(record.createdAt)) / DAY_MS;
}

/** The terms an approval grants, from what the approver asked for and its own expiry. */
export function approvedTerms(
  current: Pick<TokenRecord, 'createdAt' | 'expiresAt'>,
  asked: { readonly expiresInDays?: number | undefined; readonly graceDays?: number | undefined },
  approverExpiresAt: string | undefined,
): GrantTerms {
  return {
    successorLifetimeDays: asked.expiresInDays ?? lifetimeDays(current),
    successorGraceDays: asked.graceDays ?? DEFAULT_GRACE_DAYS,
    ...(approverExpiresAt === undefined ? {} : { successorExpiresBy: approverExpiresAt }),
  };
}

/**
 * The terms a grant carries: those recorded at approval. A grant approved before terms were
 * recorded gets the defaults: the predecessor's own lifetime and the default grace.
 */
export function grantedTerms(
  current: Pick<TokenRecord, 'createdAt' | 'expiresAt'>,
  request: RotationRequest | undefined,
): GrantTerms {
  return approvedTerms(
    current,
    { expiresInDays: request?.successorLifetimeDays, graceDays: request?.successorGraceDays },
    request?.successorExpiresBy,
  );
}

/**
 * The successor a grant rotates into, planned from the store's own read of the approved
 * request: the terms the approver fixed, and never past the expiry of the token that receives
 * it (`receiverExpiresAt`; undefined when the receiver is the token being replaced).
 */
export function grantedSuccessor(
  granted: TokenRecord,
  receiverExpiresAt: string | undefined,
  now: Date,
  prefix?: string,
): Minted & { readonly graceUntil: Date } {
  const terms = grantedTerms(granted, granted.rotationRequest);
  const caps = [terms.successorExpiresBy, receiverExpiresAt]
    .filter((at) => at !== undefined)
    .sort();
  return mintSuccessor(
    granted,
    {
      lifetimeMs: terms.successorLifetimeDays * DAY_MS,
      graceDays: terms.successorGraceDays,
      expiresBy: caps[0] === undefined ? undefined : new Date(caps[0]),
    },
    now,
    prefix,
  );
}
