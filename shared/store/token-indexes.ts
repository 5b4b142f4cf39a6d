/**
 * The token table's index names, apart from the table definitions in schema.ts: the packaged
 * library's types name them (TokenTables' grants) and must not need the AWS SDK's types.
 */
export const TOKEN_INDEX = {
  byTokenId: 'ByTokenId',
  byOwner: 'ByOwner',
  /**
   * Sparse: only live tokens carry `expiryPartition`, sorted by `endsAt` (expiry, or the grace
   * deadline of a rotated predecessor). Schedules range-query it, so their cost follows the
   * number of tokens near their end, not the table size.
   */
  byExpiry: 'ByExpiry',
  /**
   * Sparse: only tokens with an open rotation request carry `requestState` (pending or
   * approved), sorted by `requestDeadline` (when it lapses). The admins' queue and the cleanup
   * of lapsed requests and grants read it.
   */
  byRotationRequest: 'ByRotationRequest',
  /**
   * Sparse: only tokens issued by the rotation Lambda carry `secretId`, sorted by `expiresAt`.
   * finishSecret's sweep reads one secret's tokens not yet past their expiry (about lifetime /
   * rotation interval items), whatever their status.
   */
  bySecret: 'BySecret',
  /**
   * Sparse: only live tokens not yet reported due for rotation carry `policyDueShard` (one of
   * 16), sorted by `policyDueAt`. The alert run reads the part that is due now. Keys only: the
   * usage write changes `useCount` on every flush, which would rewrite an ALL projection.
   */
  byPolicyDue: 'ByPolicyDue',
} as const;
