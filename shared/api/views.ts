/** What the API shows of a token: never its hash, and its plaintext only once, when issued. */
import { effectiveEnd, type TokenRecord } from '../token/record';
import { ApiError } from './errors';
import type { TokenView } from './responses';

export const STORE_WARNING =
  'Store this token now (e.g. in a secrets manager): it is shown once and cannot be retrieved again.';

export function view(record: TokenRecord): TokenView {
  return {
    tokenId: record.tokenId,
    name: record.name,
    owner: record.owner,
    scopes: record.scopes,
    hint: record.hint,
    status: record.status,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    metadata: record.metadata,
    rotatedFrom: record.rotatedFrom,
    rotatedTo: record.rotatedTo,
    graceUntil: record.graceUntil,
    revokedAt: record.revokedAt,
    revokeReason: record.revokeReason,
    rotationRequest: record.rotationRequest,
    lastUsedAt: record.lastUsedAt,
    useCount: record.useCount,
    kind: record.kind,
    tokenLifetimeDays: record.tokenLifetimeDays,
    tokenExpiresBy: record.tokenExpiresBy,
    exchangedFor: record.exchangedFor,
    exchangedAt: record.exchangedAt,
    rotationPolicy: record.rotationPolicy,
  };
}

/** A token's rotation request, with the token it is about. */
export function requestView(record: TokenRecord) {
  if (record.rotationRequest === undefined) {
    throw new ApiError(404, `${record.tokenId} has no rotation request`);
  }
  return {
    ...record.rotationRequest,
    tokenId: record.tokenId,
    tokenName: record.name,
    owner: record.owner,
  };
}

/** The answer to a rotation: the successor with its plaintext (shown once), and the old one. */
export function rotatedView(successor: TokenRecord, predecessor: TokenRecord, token: string) {
  return {
    ...view(successor),
    token,
    warning: STORE_WARNING,
    predecessor: { tokenId: predecessor.tokenId, worksUntil: effectiveEnd(predecessor) },
  };
}
