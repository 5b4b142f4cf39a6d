// zod/mini: the tree-shakable API; the classic one adds ~440 KB to every Lambda bundle.
import * as z from 'zod/mini';

/** Timestamps are `Date.toISOString()` strings: UTC, fixed width, so they sort as strings. */
const isoTimestamp = z.iso.datetime();

/**
 * `pending`: registered by a rotation that has not finished; it never authenticates, and
 * becomes `active` only when the rotation completes (or disappears by TTL if it never does).
 */
export const TOKEN_STATUSES = ['pending', 'active', 'revoked', 'expired'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

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
}

/**
 * The moment a token stops authenticating: its expiry, or for a rotated predecessor the
 * earlier of its grace deadline and its own expiry (grace never extends a token's life).
 */
export function effectiveEnd(record: Pick<TokenRecord, 'expiresAt' | 'graceUntil'>): string {
  const { expiresAt, graceUntil } = record;
  return graceUntil !== undefined && graceUntil < expiresAt ? graceUntil : expiresAt;
}
