/**
 * A rotation request's state machine, as pure functions. Its owner asks (→ pending), an admin
 * decides (→ approved, which grants one rotation within `GRANT_HOURS`, or → rejected), the grant
 * is used once (→ executed), or the request closes unused (→ failed or expired). Each step
 * answers `changed` with the next request, `unchanged` for an idempotent repeat or nothing to
 * do, or `refused`; the store only writes what a step decided, conditioned on what it read.
 */
import { grantRefusal, noRequest, rotationRefusal, type Refusal } from './lifecycle-rules';
import {
  OPEN_REQUEST_STATES,
  type RequestState,
  type RotationRequest,
  type TokenRecord,
} from './record';
import type { GrantTerms } from './rotation-grant';
import { DAY_MS, HOUR_MS } from '../time';

/** An undecided rotation request lapses after this many days. */
export const REQUEST_DAYS = 7;
/** An approved request's grant must be used within this many hours. */
export const GRANT_HOURS = 24;

export type OpenRequestState = (typeof OPEN_REQUEST_STATES)[number];

/** A step that moves the request on. */
export interface Changed {
  readonly outcome: 'changed';
  readonly request: RotationRequest;
}
/** A step refused: nothing is written, and the caller learns why. */
export interface Refused {
  readonly outcome: 'refused';
  readonly refusal: Refusal;
}
/** A repeat of a step already taken, or a step with nothing to do: nothing is written. */
export interface Unchanged {
  readonly outcome: 'unchanged';
}
export type RequestStep = Changed | Refused | Unchanged;

const UNCHANGED: Unchanged = { outcome: 'unchanged' };
const changed = (request: RotationRequest): Changed => ({ outcome: 'changed', request });
const refused = (refusal: Refusal): Refused => ({ outcome: 'refused', refusal });

/** Still waiting for something (a decision, or the grant's use): in the request index. */
export function isOpen(state: RequestState): state is OpenRequestState {
  return OPEN_REQUEST_STATES.some((open) => open === state);
}

/**
 * When an open request lapses (its `requestDeadline`, the request index's sort key): the pending
 * deadline, or the grant's expiry once approved. Undefined for a closed request.
 */
export function requestDeadline(request: RotationRequest | undefined): string | undefined {
  if (request === undefined) return undefined;
  if (request.state === 'approved') return request.grantExpiresAt;
  if (request.state === 'pending') {
    return new Date(Date.parse(request.requestedAt) + REQUEST_DAYS * DAY_MS).toISOString();
  }
  return undefined;
}

/**
 * The deadline a token's request has, or had, in the request index while in `state`: a closed
 * request keeps its times, so a cursor naming it still marks its place (cleanup closes a page
 * of requests before it reads the next).
 */
export function deadlineHeld(state: OpenRequestState) {
  return (record: TokenRecord): string | undefined =>
    record.rotationRequest === undefined
      ? undefined
      : requestDeadline({ ...record.rotationRequest, state });
}

/**
 * Ask: a new pending request by `actor`. A repeat of the same request id is unchanged; refused
 * if the token cannot be rotated or another request is still open.
 */
export function askRotation(
  current: TokenRecord,
  ask: { readonly requestId: string; readonly reason: string },
  actor: string,
  now: Date,
): RequestStep {
  if (current.rotationRequest?.requestId === ask.requestId) return UNCHANGED;
  const refusal = rotationRefusal(current, now);
  if (refusal !== undefined) return refused(refusal);
  const open = current.rotationRequest;
  if (open !== undefined && isOpen(open.state)) {
    return refused({
      code: 'conflict',
      message: `${current.tokenId} already has an open rotation request (${open.requestId}, ${open.state})`,
    });
  }
  return changed({
    requestId: ask.requestId,
    state: 'pending',
    reason: ask.reason,
    requestedBy: actor,
    requestedAt: now.toISOString(),
  });
}

/** What an admin decides about a pending request; an approval carries the grant's terms. */
export interface Decision {
  readonly requestId: string;
  readonly approve: boolean;
  readonly note?: string;
  readonly terms?: GrantTerms;
}

/**
 * Decide a pending, not lapsed request: approved (its grant expires `GRANT_HOURS` from now and
 * carries the terms) or rejected (closed now). The same decision by the same actor again is
 * unchanged; another request id is `not-found`, a decided request a `conflict`, a lapsed one
 * `gone`, and an approval of a token that cannot be rotated is refused as the rotation would be.
 */
export function decideRequest(
  current: TokenRecord,
  decision: Decision,
  actor: string,
  now: Date,
): RequestStep {
  const request = current.rotationRequest;
  if (request === undefined || request.requestId !== decision.requestId) {
    return refused(noRequest(decision.requestId));
  }
  const wanted = decision.approve ? 'approved' : 'rejected';
  if (request.state === wanted && request.decidedBy === actor) return UNCHANGED;
  if (request.state !== 'pending') {
    return refused({
      code: 'conflict',
      message: `Rotation request ${request.requestId} is ${request.state}`,
    });
  }
  const deadline = requestDeadline(request);
  if (deadline !== undefined && deadline <= now.toISOString()) {
    return refused({ code: 'gone', message: `Rotation request ${request.requestId} lapsed` });
  }
  if (decision.approve) {
    const refusal = rotationRefusal(current, now);
    if (refusal !== undefined) return refused(refusal);
  }
  const at = now.toISOString();
  const grantExpiresAt = new Date(now.getTime() + GRANT_HOURS * HOUR_MS).toISOString();
  return changed({
    ...request,
    state: wanted,
    decidedBy: actor,
    decidedAt: at,
    ...(decision.note === undefined ? {} : { decisionNote: decision.note }),
    ...(decision.approve ? { grantExpiresAt, ...decision.terms } : { closedAt: at }),
  });
}

/** Why the grant of request `requestId` cannot rotate `record` now, or undefined if it can. */
export function grantUseRefusal(
  record: TokenRecord,
  requestId: string,
  now: Date,
): Refusal | undefined {
  return grantRefusal(record, requestId, now) ?? rotationRefusal(record, now);
}

/**
 * Execute: an approved request whose grant rotated the token into `successorId` (closed now).
 * Refused unless the grant is usable and the token can be rotated: a grant works once.
 */
export function executeGrant(
  record: TokenRecord,
  requestId: string,
  by: { readonly actor: string; readonly successorId: string },
  now: Date,
): Changed | Refused {
  const refusal = grantUseRefusal(record, requestId, now);
  const request = record.rotationRequest;
  if (refusal !== undefined || request === undefined)
    return refused(refusal ?? noRequest(requestId));
  const at = now.toISOString();
  return changed({
    ...request,
    state: 'executed',
    executedBy: by.actor,
    executedAt: at,
    successorId: by.successorId,
    closedAt: at,
  });
}

/** How an open request closes unused: its rotation failed, or it lapsed. */
export interface Closing {
  readonly requestId: string;
  readonly state: 'failed' | 'expired';
  readonly failure?: string;
}

/**
 * Close: the open request `requestId` as failed, or as expired once its deadline has passed.
 * Anything else (another request, a closed one, an expiry before the deadline) is unchanged,
 * so a repeat is harmless. `from` is the open state it closed from.
 */
export function closeRequest(
  current: TokenRecord,
  closing: Closing,
  now: Date,
): (Changed & { readonly from: OpenRequestState }) | Unchanged {
  const request = current.rotationRequest;
  if (request === undefined || request.requestId !== closing.requestId) return UNCHANGED;
  if (!isOpen(request.state)) return UNCHANGED;
  const deadline = requestDeadline(request);
  if (closing.state === 'expired' && deadline !== undefined && deadline > now.toISOString()) {
    return UNCHANGED;
  }
  return {
    ...changed({
      ...request,
      state: closing.state,
      closedAt: now.toISOString(),
      ...(closing.failure === undefined ? {} : { failure: closing.failure }),
    }),
    from: request.state,
  };
}
