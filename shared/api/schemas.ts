/**
 * The management API's requests: every body, query and path parameter, as zod schemas (the
 * responses are in ./responses.ts). The handler validates with them and docs/openapi.json is
 * generated from them (scripts/openapi.ts), so the document cannot drift from the code.
 */
import * as z from 'zod/mini';
import { OPEN_REQUEST_STATES, TOKEN_STATUSES } from '../token/record';
import { DEFAULT_GRACE_DAYS, DEFAULT_TOKEN_LIFETIME_DAYS } from '../defaults';
import { rotationPolicySchema } from '../token/rotation-policy';
import { isCalendarDate, isReservedKey, RESERVED_KEY_MESSAGE } from './strict-input';
import { noToken, ownerSchema, tokenNameSchema } from '../token/labels';
import { scopeSchema } from '../token/scope';

export const MAX_LIFETIME_DAYS = 730;
export const MAX_GRACE_DAYS = 30;

const text = (pattern: RegExp, message: string) => z.string().check(z.regex(pattern, message));

export const tokenIdSchema = text(/^tok_[0-9A-Za-z]{16}$/, 'must be a token id like tok_…');
/**
 * The one owner, name and scope grammar (shared/token/labels.ts, shared/token/scope.ts), also
 * enforced on routes and rotation specs. Free text refuses a token found anywhere in it
 * (glued to words, percent-encoded), of any prefix.
 */
export { ownerSchema, scopeSchema };
const nameSchema = tokenNameSchema;
const metadataSchema = z
  .record(
    text(/^[\w.-]{1,64}$/, 'keys must be 1–64 letters, digits, ".", "_" or "-"').check(
      z.refine((key) => !isReservedKey(key), { message: RESERVED_KEY_MESSAGE }),
      noToken('keys must not contain a service token'),
    ),
    z.string().check(z.maxLength(256, 'values must be at most 256 characters'), noToken()),
  )
  .check(z.refine((m) => Object.keys(m).length <= 20, { message: 'must have at most 20 entries' }));
const days = (min: number, max: number) =>
  z
    .int()
    .check(
      z.gte(min, `must be at least ${String(min)}`),
      z.lte(max, `must be at most ${String(max)}`),
    );

export const createTokenBody = z.strictObject({
  name: nameSchema,
  /** Defaults to the caller's own owner; only an admin may name another. */
  owner: z.optional(ownerSchema),
  scopes: z
    .array(scopeSchema)
    .check(z.minLength(1, 'must name at least one scope'), z.maxLength(20, 'at most 20 scopes')),
  expiresInDays: z._default(days(1, MAX_LIFETIME_DAYS), DEFAULT_TOKEN_LIFETIME_DAYS),
  metadata: z.optional(metadataSchema),
  /** This token's own rotation policy; default: its owner's, else the deployment's. */
  rotationPolicy: z.optional(rotationPolicySchema),
});
export type CreateTokenBody = z.infer<typeof createTokenBody>;

export const MAX_BOOTSTRAP_MINUTES = 24 * 60;

export const createBootstrapBody = z.strictObject({
  name: nameSchema,
  /** The owner the exchanged token will belong to. */
  owner: ownerSchema,
  /** The most the exchanged token may have; the exchange may ask for fewer. */
  scopes: z
    .array(scopeSchema)
    .check(z.minLength(1, 'must name at least one scope'), z.maxLength(20, 'at most 20 scopes')),
  /** How long the bootstrap token can be exchanged. */
  expiresInMinutes: z._default(
    z
      .int()
      .check(
        z.gte(1, 'must be at least 1'),
        z.lte(MAX_BOOTSTRAP_MINUTES, `must be at most ${String(MAX_BOOTSTRAP_MINUTES)}`),
      ),
    60,
  ),
  /** Lifetime of the token it is exchanged for (the most the exchange may ask for). */
  tokenExpiresInDays: z._default(days(1, MAX_LIFETIME_DAYS), DEFAULT_TOKEN_LIFETIME_DAYS),
  /** Inherited by the exchanged token. */
  rotationPolicy: z.optional(rotationPolicySchema),
});

export const exchangeBody = z.strictObject({
  /** Default: the bootstrap token's name. */
  name: z.optional(nameSchema),
  /** Default: all of the bootstrap token's scopes; never more. */
  scopes: z.optional(
    z
      .array(scopeSchema)
      .check(z.minLength(1, 'must name at least one scope'), z.maxLength(20, 'at most 20 scopes')),
  ),
  /** Default and maximum: the bootstrap token's `tokenExpiresInDays`. */
  expiresInDays: z.optional(days(1, MAX_LIFETIME_DAYS)),
  metadata: z.optional(metadataSchema),
});

export const rotateTokenBody = z.strictObject({
  /** How long the replaced token keeps working (never past its own expiry). */
  graceDays: z._default(days(0, MAX_GRACE_DAYS), DEFAULT_GRACE_DAYS),
  /** Lifetime of the new token; default: the replaced token's lifetime. */
  expiresInDays: z.optional(days(1, MAX_LIFETIME_DAYS)),
});

export const revokeQuery = z.strictObject({
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(200), noToken())),
});

export const emergencyRevokeBody = z
  .strictObject({
    owner: z.optional(ownerSchema),
    tokenId: z.optional(tokenIdSchema),
    reason: z
      .string()
      .check(z.minLength(3, 'must say why (3–200 characters)'), z.maxLength(200), noToken()),
  })
  .check(
    z.refine((b) => (b.owner === undefined) !== (b.tokenId === undefined), {
      message: 'give exactly one of "owner" or "tokenId"',
    }),
  );

const pageQuery = {
  // Plain decimal only: Number() would also take "0x5", "1e1", " 5" or "5.0".
  limit: z.optional(
    z.pipe(text(/^(?:[1-9]\d?|100)$/, 'must be a whole number from 1 to 100'), z.transform(Number)),
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
};

export const listApisQuery = z.strictObject({ ...pageQuery });

export const listTokensQuery = z.strictObject({
  owner: z.optional(ownerSchema),
  status: z.optional(z.enum(TOKEN_STATUSES)),
  /** Only live tokens ending before this instant (ISO 8601), soonest first. */
  expiringBefore: z.optional(
    z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  ),
  ...pageQuery,
});

export const auditQuery = z
  .strictObject({
    /** A token id, or `owner:<owner>` for refused and owner-wide actions. */
    targetId: z.optional(
      text(/^(?:tok_[0-9A-Za-z]{16}|owner:[a-z0-9][a-z0-9._-]{0,63})$/, 'must be tok_… or owner:…'),
    ),
    day: z.optional(
      text(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-11-23').check(
        z.refine(isCalendarDate, { message: 'must be a real calendar date, like 2026-11-23' }),
      ),
    ),
    ...pageQuery,
  })
  .check(
    z.refine((q) => (q.targetId === undefined) !== (q.day === undefined), {
      message: 'give exactly one of "targetId" or "day"',
    }),
  );

export const tokenIdParams = z.strictObject({ id: tokenIdSchema });

export const requestIdSchema = text(/^rrq_[0-9A-Za-z]{16}$/, 'must be a request id like rrq_…');
export const rotationRequestParams = z.strictObject({
  id: tokenIdSchema,
  requestId: requestIdSchema,
});

const why = (min: number) =>
  z
    .string()
    .check(
      z.minLength(min, `must say why (${String(min)}–200 characters)`),
      z.maxLength(200, 'must be at most 200 characters'),
      noToken(),
    );

export const rotationRequestBody = z.strictObject({ reason: why(3) });
/**
 * The approver fixes what the grant rotates into; whoever uses it (…/execute) cannot change it.
 * The successor never outlives the approving token.
 */
export const approveBody = z.strictObject({
  note: z.optional(why(1)),
  /** The successor's lifetime; default: the token's own lifetime. */
  expiresInDays: z.optional(days(1, MAX_LIFETIME_DAYS)),
  /** How long the replaced token keeps working; default: the deployment's default grace. */
  graceDays: z.optional(days(0, MAX_GRACE_DAYS)),
});
export const rejectBody = z.strictObject({ reason: why(3) });

export const listRotationRequestsQuery = z.strictObject({
  /** `pending`: waiting for an admin; `approved`: granted, waiting to be used. */
  state: z._default(z.enum(OPEN_REQUEST_STATES), 'pending'),
  ...pageQuery,
});
