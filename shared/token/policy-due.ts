/**
 * The due date a token's rotation policy gives it, kept on the item so the alert run can read
 * only the tokens due now through a sparse index (pure; the store writes it).
 *
 * - Set when a token becomes live (create, rotation successor, activation): `createdAt` plus the
 *   effective policy's `rotateAfterDays`, and with it the heavy-use rule's rate and the earlier
 *   date that rule would give (`heavyUsePerDay`, `heavyUseDueAt`).
 * - Brought forward by the authorizer's throttled usage write, in the same UpdateItem, once the
 *   average use crosses `heavyUsePerDay`: no write of its own.
 * - Re-derived by the alert run when a due token turns out not due (its use fell back), and by
 *   the backfill when the deployed policies change (their hash differs from the recorded one).
 *
 * A writer that does not know the deployment's policies (the CLI, a test store) sets a
 * provisional date one day after creation, the earliest any policy can make a token due; the
 * alert run then derives the real one when it reads it, once.
 */
import { createHash } from 'node:crypto';
import { DAY_MS } from '../time';
import {
  MIN_ROTATE_AFTER_DAYS,
  policyFor,
  rotationDue,
  type PolicyInput,
  type RotationPolicies,
} from './rotation-policy';

/**
 * Partitions of the due index: a token's is the first hex digit of its hash. Sixteen spread the
 * index's writes (a backfill of a million tokens, bursts of creation) over partitions that take
 * 1,000 writes a second each; a run reads all sixteen, one (usually empty) query each.
 */
export const POLICY_DUE_SHARDS = Array.from({ length: 16 }, (_, i) => `due-${i.toString(16)}`);

export function policyDueShard(tokenHash: string): string {
  return `due-${tokenHash.charAt(0)}`;
}

/** What the item carries for the due index. */
export interface PolicyDue {
  readonly policyDueAt: string;
  /** Absent when no heavy-use rule could make the token due sooner. */
  readonly heavyUse?: { readonly usesPerDay: number; readonly dueAt: string };
}

/**
 * The due date of `token` under `policies` as of `now` (its use so far counted). Without the
 * deployment's policies, a token with no policy of its own gets the provisional date.
 */
export function derivePolicyDue(
  token: PolicyInput,
  policies: RotationPolicies | undefined,
  now: Date,
): PolicyDue {
  const created = Date.parse(token.createdAt);
  if (policies === undefined && token.rotationPolicy === undefined) {
    return { policyDueAt: new Date(created + MIN_ROTATE_AFTER_DAYS * DAY_MS).toISOString() };
  }
  const known = policies ?? { default: { rotateAfterDays: 3650 }, owners: {} };
  const due = rotationDue(token, known, now);
  const { policy } = policyFor(token, known);
  const high = policy.highUsage;
  if (high === undefined || due.rule === 'usage') return { policyDueAt: due.dueAt };
  return {
    policyDueAt: due.dueAt,
    heavyUse: {
      usesPerDay: high.usesPerDay,
      dueAt: new Date(created + high.rotateAfterDays * DAY_MS).toISOString(),
    },
  };
}

/** The due-index fields of a stored token, as the usage write sees them. */
export interface UsageSeen {
  readonly createdAt: string;
  readonly useCount?: number | undefined;
  readonly policyDueAt?: string | undefined;
  readonly heavyUsePerDay?: number | undefined;
  readonly heavyUseDueAt?: string | undefined;
}

/**
 * The earlier due date a usage write of `count` more uses at `at` brings, if it makes the
 * average cross the heavy-use rate (averaged over at least a day, like `rotationDue`).
 */
export function usageBringsForward(seen: UsageSeen, count: number, at: Date): string | undefined {
  const { policyDueAt, heavyUsePerDay, heavyUseDueAt } = seen;
  if (policyDueAt === undefined || heavyUsePerDay === undefined || heavyUseDueAt === undefined) {
    return undefined;
  }
  if (heavyUseDueAt >= policyDueAt) return undefined;
  const ageDays = Math.max((at.getTime() - Date.parse(seen.createdAt)) / DAY_MS, 1);
  return ((seen.useCount ?? 0) + count) / ageDays > heavyUsePerDay ? heavyUseDueAt : undefined;
}

/** Order-independent JSON: the same policies always hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The deployed policies' identity: when it changes, the backfill re-derives due dates. */
export function policiesHash(policies: RotationPolicies): string {
  return createHash('sha256').update(canonical(policies)).digest('hex').slice(0, 16);
}
