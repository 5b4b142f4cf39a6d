/**
 * Token lifecycle events for other teams (SIEM, chat, redeploys), derived from the audit
 * table's change stream: every successful lifecycle change writes exactly one audit item in the
 * same transaction as the change, so an audit item is proof the change happened, and a change
 * that failed wrote none. Pure: audit event (+ the token's immutable attributes) in, event out.
 *
 * Detail schema, version "1" (additions stay version 1; a breaking change bumps it):
 * - `eventId`: the audit event's id. Delivery is at least once: de-duplicate on it.
 * - `occurredAt`, `actor`, optional `requestId` and `reason`;
 * - `token`: `id`, `owner`, and when the token record was readable `name`, `scopes`,
 *   `createdAt`, `expiresAt` (these never change over a token's life);
 * - `data`: what this kind of change adds (see LIFECYCLE_EVENTS).
 * Never the token or its hash.
 */
import * as z from 'zod/mini';
import type { AuditEvent } from '../store/audit';
import type { TokenRecord } from '../token/record';

/** The `source` of every event on the bus. */
export const EVENT_SOURCE = 'service-tokens';
export const DETAIL_VERSION = '1';

/** Audit action → event `detail-type`, with what `data` carries. */
export const LIFECYCLE_EVENTS = {
  'token.created': { type: 'TokenCreated', data: 'status (active | pending), rotatedFrom?' },
  'token.rotated': { type: 'TokenRotated', data: 'successorId, graceUntil' },
  'token.revoked': { type: 'TokenRevoked', data: 'emergency ("true" | "false")' },
  'token.expiry-alerted': {
    type: 'TokenExpiring',
    data: 'days (the threshold: 30, 14, 7 or 1), severity, messageId (the SNS alert)',
  },
  'token.expired': { type: 'TokenExpired', data: 'endedAt' },
  'token.leaked': {
    type: 'TokenLeaked',
    data: 'scanner (github | webhook), type, url, source (the report, tokens redacted), action (revoke | end-grace | notify), report (its fingerprint)',
  },
  'token.grace-ended': { type: 'TokenGraceEnded', data: 'endedAt or reason' },
  'token.activated': {
    type: 'TokenActivated',
    data: 'none: a Secrets Manager rotation made its pending token valid (finishSecret, before AWSCURRENT moves)',
  },
  'token.deactivated': {
    type: 'TokenActivationUndone',
    data: 'none: finishSecret could not move AWSCURRENT, so the activation was undone',
  },
} as const satisfies Record<string, { type: string; data: string }>;

export type LifecycleAction = keyof typeof LIFECYCLE_EVENTS;
export type LifecycleEventType = (typeof LIFECYCLE_EVENTS)[LifecycleAction]['type'];

const isLifecycleAction = (action: string): action is LifecycleAction =>
  Object.hasOwn(LIFECYCLE_EVENTS, action);

export const lifecycleDetailSchema = z.object({
  version: z.literal(DETAIL_VERSION),
  eventId: z.string(),
  occurredAt: z.iso.datetime(),
  actor: z.string(),
  requestId: z.optional(z.string()),
  reason: z.optional(z.string()),
  token: z.object({
    id: z.string(),
    owner: z.optional(z.string()),
    name: z.optional(z.string()),
    scopes: z.optional(z.array(z.string())),
    createdAt: z.optional(z.string()),
    expiresAt: z.optional(z.string()),
  }),
  data: z.record(z.string(), z.string()),
});

export type LifecycleDetail = z.infer<typeof lifecycleDetailSchema>;

export interface LifecycleEvent {
  readonly type: LifecycleEventType;
  readonly detail: LifecycleDetail;
}

/** The token attributes an event carries; all of them are fixed when the token is issued. */
export type TokenFacts = Pick<TokenRecord, 'name' | 'owner' | 'scopes' | 'createdAt' | 'expiresAt'>;

/**
 * The event for an audit event, or undefined when it records no lifecycle change (a refused
 * request, a no-op, an action other teams do not need).
 */
export function lifecycleEvent(
  audit: AuditEvent,
  token: TokenFacts | undefined,
): LifecycleEvent | undefined {
  if (audit.outcome !== 'success' || !isLifecycleAction(audit.action)) return undefined;
  const data: Record<string, string> = { ...audit.details };
  const owner = audit.owner ?? token?.owner;
  if (audit.action === 'token.revoked') {
    data['emergency'] = String(audit.reason?.startsWith('emergency: ') === true);
  }
  return {
    type: LIFECYCLE_EVENTS[audit.action].type,
    detail: {
      version: DETAIL_VERSION,
      eventId: audit.eventId,
      occurredAt: audit.at,
      actor: audit.actor,
      ...(audit.requestId === undefined ? {} : { requestId: audit.requestId }),
      ...(audit.reason === undefined ? {} : { reason: audit.reason }),
      token: {
        id: audit.targetId,
        ...(owner === undefined ? {} : { owner }),
        ...(token === undefined
          ? {}
          : {
              name: token.name,
              scopes: [...token.scopes],
              createdAt: token.createdAt,
              expiresAt: token.expiresAt,
            }),
      },
      data,
    },
  };
}
