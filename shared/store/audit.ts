import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';

/** Who did something and why; every state change in the store carries one. */
export interface AuditContext {
  /** Token id of the caller, or a system actor such as `system:cleanup` or `cli:alice`. */
  readonly actor: string;
  readonly requestId?: string;
  readonly reason?: string;
}

export type AuditAction =
  | 'token.created'
  | 'token.rotated'
  | 'token.revoked'
  | 'token.expired'
  | 'token.grace-ended'
  | (string & {});

export const AUDIT_OUTCOMES = ['success', 'failure', 'noop'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * An audit event. It names tokens by their public id only: never the plaintext, never the hash
 * (a hash is a lookup key for the token and is not for humans or downstream systems).
 */
const nonEmpty = () => z.string().check(z.minLength(1));

export const auditEventSchema = z.object({
  targetId: nonEmpty(),
  eventKey: nonEmpty(),
  eventId: nonEmpty(),
  at: z.iso.datetime(),
  action: nonEmpty(),
  actor: nonEmpty(),
  outcome: z.enum(AUDIT_OUTCOMES),
  owner: z.optional(z.string()),
  requestId: z.optional(z.string()),
  reason: z.optional(z.string()),
  details: z.optional(z.record(z.string(), z.string())),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;

export interface AuditInput {
  readonly action: AuditAction;
  readonly targetId: string;
  readonly owner?: string;
  readonly outcome: AuditOutcome;
  readonly details?: Readonly<Record<string, string>>;
}

/** The stored item: the event plus its day partition and retention TTL. */
export function auditItem(
  input: AuditInput,
  context: AuditContext,
  now: Date,
  retentionDays: number,
): AuditEvent & { day: string; ttl: number } {
  const at = now.toISOString();
  const eventId = randomUUID();
  return {
    targetId: input.targetId,
    eventKey: `${at}#${eventId}`,
    eventId,
    at,
    day: at.slice(0, 10),
    action: input.action,
    actor: context.actor,
    outcome: input.outcome,
    owner: input.owner,
    requestId: context.requestId,
    reason: context.reason,
    details: input.details === undefined ? undefined : { ...input.details },
    ttl: epochSeconds(now) + retentionDays * 86_400,
  };
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
