// zod/mini: the tree-shakable API; the classic one adds ~440 KB to every Lambda bundle.
import * as z from 'zod/mini';
import { rotationPolicySchema, type RotationPolicy } from './rotation-policy';
import { storedKindSchema, type StoredKind } from './kinds';

/** Timestamps are `Date.toISOString()` strings: UTC, fixed width, so they sort as strings. */
const isoTimestamp = z.iso.datetime();

/**
 * `used`: a bootstrap token that was exchanged (it never authenticates anything else).
 * `pending`: registered by a rotation that has not finished; it never authenticates, and
 * becomes `active` only when the rotation completes (or disappears by TTL if it never does).
 */
export const TOKEN_STATUSES = ['pending', 'active', 'revoked', 'expired', 'used'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export const REQUEST_STATES = [
  'pending',
  'approved',
  'rejected',
  'executed',
  'failed',
  'expired',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];
/** States in which a request still waits for something (and is in the request index). */
export const OPEN_REQUEST_STATES = ['pending', 'approved'] as const;

/**
 * The token's latest rotation request: asked for by its owner, approved (which grants one
 * rotation within 24 hours) or rejected by an admin, then executed, failed or expired. A token
 * has at most one open request; earlier ones are in the audit trail.
 */
export const rotationRequestSchema = z.object({
  requestId: z.string().check(z.minLength(1)),
  state: z.enum(REQUEST_STATES),
  reason: z.string(),
  requestedBy: z.string(),
  requestedAt: isoTimestamp,
  decidedBy: z.optional(z.string()),
  decidedAt: z.optional(isoTimestamp),
  decisionNote: z.optional(z.string()),
  /** Approved: the one-time grant must be used before this. */
  grantExpiresAt: z.optional(isoTimestamp),
  /**
   * Approved: what the grant rotates into, fixed by the approver (see rotation-grant.ts): the
   * successor's lifetime in days (the predecessor's own unless the approver set one), never
   * past `successorExpiresBy` (the approving token's expiry), and the predecessor's grace.
   */
  successorLifetimeDays: z.optional(z.number().check(z.gt(0))),
  successorExpiresBy: z.optional(isoTimestamp),
  successorGraceDays: z.optional(z.int().check(z.gte(0))),
  executedBy: z.optional(z.string()),
  executedAt: z.optional(isoTimestamp),
  successorId: z.optional(z.string()),
  failure: z.optional(z.string()),
  closedAt: z.optional(isoTimestamp),
});
export type RotationRequest = z.infer<typeof rotationRequestSchema>;

/**
 * A token as stored in DynamoDB. Items read back are parsed with this schema, so a corrupt or
 * foreign item surfaces as an error instead of flowing on as a half-typed object.
 * A rotated predecessor keeps `status: 'active'` and carries `rotatedTo` + `graceUntil`.
 */
const nonEmpty = () => z.string().check(z.minLength(1));

export const tokenRecordSchema = z.object({
  tokenHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  tokenId: nonEmpty(),
  name: nonEmpty(),
  owner: nonEmpty(),
  scopes: z.array(z.string()),
  hint: z.string(),
  status: z.enum(TOKEN_STATUSES),
  createdAt: isoTimestamp,
  expiresAt: isoTimestamp,
  metadata: z.optional(z.record(z.string(), z.string())),
  rotatedFrom: z.optional(z.string()),
  rotatedTo: z.optional(z.string()),
  graceUntil: z.optional(isoTimestamp),
  revokedAt: z.optional(isoTimestamp),
  revokeReason: z.optional(z.string()),
  /** The Secrets Manager rotation (ClientRequestToken) that registered a pending token. */
  rotationId: z.optional(z.string()),
  lastUsedAt: z.optional(isoTimestamp),
  /** The most urgent expiry alert threshold (days) already sent for this token. */
  alertedDays: z.optional(z.int().check(z.gte(0))),
  useCount: z.optional(z.int().check(z.gte(0))),
  /**
   * `bootstrap`: a short-lived, single-use token whose only use is `POST /tokens/exchange`;
   * its `scopes` are the most the exchanged token may have. Absent: an operational token.
   */
  kind: z.optional(storedKindSchema),
  /** Bootstrap: lifetime in days of the token it is exchanged for. */
  tokenLifetimeDays: z.optional(z.int().check(z.gte(1))),
  /** Bootstrap: the token it is exchanged for never outlives this (its issuer's expiry). */
  tokenExpiresBy: z.optional(isoTimestamp),
  /** Bootstrap: the token it was exchanged for, and when. */
  exchangedFor: z.optional(z.string()),
  exchangedAt: z.optional(isoTimestamp),
  /** This token's own rotation policy (inherited by its successors); else its owner's. */
  rotationPolicy: z.optional(rotationPolicySchema),
  /** The Secrets Manager secret that holds this token (tokens issued by the rotation Lambda). */
  secretId: z.optional(z.string()),
  /** When the alert run reported this token due for rotation (once per token). */
  rotationDueAt: z.optional(isoTimestamp),
  /**
   * When the rotation policy makes this live token due (see policy-due.ts): the due index's sort
   * key, with `policyDueShard` its partition. Removed once reported or when the token ends.
   */
  policyDueAt: z.optional(isoTimestamp),
  /** The heavy-use rule's rate and the earlier due date it gives, for the usage write. */
  heavyUsePerDay: z.optional(z.number().check(z.gte(0))),
  heavyUseDueAt: z.optional(isoTimestamp),
  rotationRequest: z.optional(rotationRequestSchema),
});

export type TokenRecord = z.infer<typeof tokenRecordSchema>;

/** What a caller supplies to register a token; the store derives status and indexes. */
export interface NewToken {
  readonly tokenHash: string;
  readonly tokenId: string;
  readonly name: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly hint: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly rotatedFrom?: string;
  readonly kind?: StoredKind;
  readonly tokenLifetimeDays?: number;
  readonly tokenExpiresBy?: Date;
  readonly rotationPolicy?: RotationPolicy;
  readonly secretId?: string;
}

/**
 * The moment a token stops authenticating: its expiry, or for a rotated predecessor the
 * earlier of its grace deadline and its own expiry (grace never extends a token's life).
 */
export function effectiveEnd(record: Pick<TokenRecord, 'expiresAt' | 'graceUntil'>): string {
  const { expiresAt, graceUntil } = record;
  return graceUntil !== undefined && graceUntil < expiresAt ? graceUntil : expiresAt;
}
