/**
 * When a token is due for rotation (pure): after `rotateAfterDays` of age, or sooner
 * (`highUsage.rotateAfterDays`) once it is used more than `highUsage.usesPerDay` times a day on
 * average. A heavily used token is exposed in more places (logs, proxies, memory dumps), so it
 * earns a shorter life before its next rotation.
 *
 * The policy that applies to a token is the first of: its own (set when it was created and
 * inherited by its successors), its owner's, the deployment's default.
 */
import * as z from 'zod/mini';
import { DAY_MS } from '../time';

/** No policy rotates sooner than this: a token younger than it is never due. */
export const MIN_ROTATE_AFTER_DAYS = 1;

const days = z.int().check(z.gte(MIN_ROTATE_AFTER_DAYS), z.lte(3650));

export const rotationPolicySchema = z
  .strictObject({
    rotateAfterDays: days,
    highUsage: z.optional(
      z.strictObject({
        usesPerDay: z.int().check(z.gte(1)),
        rotateAfterDays: days,
      }),
    ),
  })
  .check(
    z.refine((p) => p.highUsage === undefined || p.highUsage.rotateAfterDays <= p.rotateAfterDays, {
      message: 'highUsage.rotateAfterDays must not exceed rotateAfterDays',
    }),
  );

export type RotationPolicy = z.infer<typeof rotationPolicySchema>;

/** The deployment's default: 90 days, 30 for a token used more than 10,000 times a day. */
export const DEFAULT_ROTATION_POLICY: RotationPolicy = {
  rotateAfterDays: 90,
  highUsage: { usesPerDay: 10_000, rotateAfterDays: 30 },
};

/** The deployment's policies: a default and per-owner overrides. */
export const rotationPoliciesSchema = z.strictObject({
  default: z._default(rotationPolicySchema, DEFAULT_ROTATION_POLICY),
  owners: z._default(z.record(z.string(), rotationPolicySchema), {}),
});

export type RotationPolicies = z.infer<typeof rotationPoliciesSchema>;

export interface PolicyInput {
  readonly owner: string;
  readonly createdAt: string;
  readonly useCount?: number | undefined;
  readonly rotationPolicy?: RotationPolicy | undefined;
}

export type PolicySource = 'token' | 'owner' | 'default';

export interface RotationDue {
  readonly due: boolean;
  /** When the token became (or becomes) due under the rule that applies now. */
  readonly dueAt: string;
  readonly rule: 'age' | 'usage';
  /** Average uses per day since creation (a lower bound: usage counts are throttled). */
  readonly usesPerDay: number;
  readonly policy: RotationPolicy;
  readonly source: PolicySource;
}

export function policyFor(
  token: Pick<PolicyInput, 'owner' | 'rotationPolicy'>,
  policies: RotationPolicies,
): { policy: RotationPolicy; source: PolicySource } {
  if (token.rotationPolicy !== undefined) return { policy: token.rotationPolicy, source: 'token' };
  // Own keys only: an owner may be called "constructor".
  const owner = Object.hasOwn(policies.owners, token.owner)
    ? policies.owners[token.owner]
    : undefined;
  return owner !== undefined
    ? { policy: owner, source: 'owner' }
    : { policy: policies.default, source: 'default' };
}

/**
 * Whether `token` is due at `now`. The usage rate is averaged over the token's age, counted
 * as at least one day, so a burst in a token's first hour does not make it "high usage".
 */
export function rotationDue(
  token: PolicyInput,
  policies: RotationPolicies,
  now: Date,
): RotationDue {
  const { policy, source } = policyFor(token, policies);
  const created = Date.parse(token.createdAt);
  const ageDays = Math.max((now.getTime() - created) / DAY_MS, 1);
  const usesPerDay = (token.useCount ?? 0) / ageDays;
  const high = policy.highUsage !== undefined && usesPerDay > policy.highUsage.usesPerDay;
  const afterDays =
    high && policy.highUsage !== undefined
      ? policy.highUsage.rotateAfterDays
      : policy.rotateAfterDays;
  const dueAt = new Date(created + afterDays * DAY_MS);
  return {
    due: now.getTime() >= dueAt.getTime(),
    dueAt: dueAt.toISOString(),
    rule: high ? 'usage' : 'age',
    usesPerDay: Math.round(usesPerDay * 10) / 10,
    policy,
    source,
  };
}
