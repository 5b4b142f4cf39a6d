/**
 * The rotation request's state machine (shared/token/rotation-request.ts) as pure functions:
 * every state under every transition, the deadlines, and idempotent repeats. No emulator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REQUEST_STATES,
  rotationRequestSchema,
  type RequestState,
  type RotationRequest,
  type TokenRecord,
} from '../../shared/token/record';
import {
  askRotation,
  closeRequest,
  deadlineHeld,
  decideRequest,
  executeGrant,
  GRANT_HOURS,
  isOpen,
  REQUEST_DAYS,
  requestDeadline,
  type RequestStep,
} from '../../shared/token/rotation-request';
import {
  DECIDED_AT,
  GRANT_EXPIRES_AT,
  REQUESTED_AT,
  rotationRequest,
} from '../support/rotation-requests';
import { tokenRecord } from '../support/tokens';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const requestedAt = new Date(REQUESTED_AT);
const now = new Date(DECIDED_AT);
const grantExpiresAt = GRANT_EXPIRES_AT;
const CLOSED = ['rejected', 'executed', 'failed', 'expired'] as const;

const request = rotationRequest;

const tokenIn = (state: RequestState, overrides: Partial<RotationRequest> = {}): TokenRecord =>
  tokenRecord({ rotationRequest: request(state, overrides) });

const approve = { requestId: 'rrq_1', approve: true };
const reject = { requestId: 'rrq_1', approve: false };
const by = { actor: 'tok_owner', successorId: 'tok_next' };

/** The next request of a step that changed it (fails the test otherwise). */
function next(step: RequestStep): RotationRequest {
  if (step.outcome !== 'changed') throw new Error(`expected a change, got ${step.outcome}`);
  return step.request;
}

describe('open states and deadlines', () => {
  it.each(REQUEST_STATES)('counts only pending and approved as open (%s)', (state) => {
    expect(isOpen(state)).toBe(state === 'pending' || state === 'approved');
  });

  it('lapses a pending request REQUEST_DAYS after it was asked, an approved one at its grant expiry', () => {
    expect(requestDeadline(request('pending'))).toBe(
      new Date(requestedAt.getTime() + REQUEST_DAYS * DAY_MS).toISOString(),
    );
    expect(requestDeadline(request('approved'))).toBe(grantExpiresAt);
  });

  it.each([...CLOSED])('gives a closed (%s) request no deadline, and no request none', (state) => {
    expect(requestDeadline(request(state))).toBeUndefined();
    expect(requestDeadline(undefined)).toBeUndefined();
  });

  it('keeps the deadline a closed request held in each queue, so a cursor naming it still marks its place', () => {
    const record = tokenIn('executed');
    expect(deadlineHeld('approved')(record)).toBe(grantExpiresAt);
    expect(deadlineHeld('pending')(record)).toBe(requestDeadline(request('pending')));
    expect(deadlineHeld('pending')(tokenRecord())).toBeUndefined();
  });
});

describe('ask → pending', () => {
  it('opens a pending request by the asking actor, asked now', () => {
    const step = askRotation(
      tokenRecord(),
      { requestId: 'rrq_1', reason: 'leak' },
      'tok_owner',
      now,
    );
    expect(next(step)).toEqual({
      requestId: 'rrq_1',
      state: 'pending',
      reason: 'leak',
      requestedBy: 'tok_owner',
      requestedAt: now.toISOString(),
    });
  });

  it.each(REQUEST_STATES)('treats asking again with the same request id as done (%s)', (state) => {
    const ask = { requestId: 'rrq_1', reason: 'again' };
    expect(askRotation(tokenIn(state), ask, 'tok_owner', now)).toEqual({ outcome: 'unchanged' });
  });

  it.each(['pending', 'approved'] as const)(
    'refuses a new request while another is open (%s)',
    (state) => {
      const step = askRotation(tokenIn(state), { requestId: 'rrq_2', reason: 'x' }, 'tok_o', now);
      expect(step).toEqual({
        outcome: 'refused',
        refusal: {
          code: 'conflict',
          message: `tok_test already has an open rotation request (rrq_1, ${state})`,
        },
      });
    },
  );

  it.each([...CLOSED])('replaces a closed (%s) request with a new pending one', (state) => {
    const step = askRotation(tokenIn(state), { requestId: 'rrq_2', reason: 'x' }, 'tok_o', now);
    expect(next(step)).toMatchObject({ requestId: 'rrq_2', state: 'pending' });
  });

  it('refuses a token that cannot be rotated, as the rotation would be refused', () => {
    const step = askRotation(
      tokenRecord({ kind: 'bootstrap' }),
      { requestId: 'r', reason: 'x' },
      'a',
      now,
    );
    expect(step).toMatchObject({ outcome: 'refused', refusal: { code: 'conflict' } });
  });
});

describe('decide → approved or rejected', () => {
  it('approves a pending request: a grant for GRANT_HOURS with the approver’s terms', () => {
    const terms = { successorLifetimeDays: 30, successorGraceDays: 2 };
    const step = decideRequest(
      tokenIn('pending'),
      { ...approve, note: 'ok', terms },
      'tok_admin',
      now,
    );
    expect(next(step)).toEqual({
      ...request('pending'),
      state: 'approved',
      decidedBy: 'tok_admin',
      decidedAt: now.toISOString(),
      decisionNote: 'ok',
      grantExpiresAt: new Date(now.getTime() + GRANT_HOURS * HOUR_MS).toISOString(),
      ...terms,
    });
  });

  it('rejects a pending request: closed now, without a grant', () => {
    const rejected = next(decideRequest(tokenIn('pending'), reject, 'tok_admin', now));
    expect(rejected).toMatchObject({ state: 'rejected', closedAt: now.toISOString() });
    expect(rejected).not.toHaveProperty('grantExpiresAt');
  });

  it.each([
    ['approved', approve],
    ['rejected', reject],
  ] as const)('treats the same decision (%s) by the same actor as done', (state, decision) => {
    const record = tokenIn(state, { decidedBy: 'tok_admin' });
    expect(decideRequest(record, decision, 'tok_admin', now)).toEqual({ outcome: 'unchanged' });
  });

  it.each(
    REQUEST_STATES.filter((state) => state !== 'pending').flatMap((state) => [
      [state, approve] as const,
      [state, reject] as const,
    ]),
  )(
    'refuses to decide a %s request again (%o), unless it is the same decision by the same actor',
    (state, decision) => {
      const step = decideRequest(tokenIn(state), decision, 'tok_other', now);
      expect(step).toEqual({
        outcome: 'refused',
        refusal: { code: 'conflict', message: `Rotation request rrq_1 is ${state}` },
      });
    },
  );

  it('answers not-found for another request id, and for a token without a request', () => {
    const refusal = { code: 'not-found', message: 'No rotation request rrq_9' };
    const other = { requestId: 'rrq_9', approve: true };
    expect(decideRequest(tokenIn('pending'), other, 'a', now)).toEqual({
      outcome: 'refused',
      refusal,
    });
    expect(decideRequest(tokenRecord(), other, 'a', now)).toEqual({ outcome: 'refused', refusal });
  });

  it('answers gone for a pending request past its deadline, approving or rejecting', () => {
    const lapsed = new Date(requestedAt.getTime() + REQUEST_DAYS * DAY_MS);
    for (const decision of [approve, reject]) {
      expect(decideRequest(tokenIn('pending'), decision, 'a', lapsed)).toEqual({
        outcome: 'refused',
        refusal: { code: 'gone', message: 'Rotation request rrq_1 lapsed' },
      });
    }
  });

  it('refuses to approve the rotation of a token that cannot be rotated, but lets it be rejected', () => {
    const revoked = tokenRecord({ status: 'revoked', rotationRequest: request('pending') });
    expect(decideRequest(revoked, approve, 'a', now)).toMatchObject({
      outcome: 'refused',
      refusal: { code: 'conflict', message: 'Token tok_test cannot be rotated: it is revoked' },
    });
    expect(next(decideRequest(revoked, reject, 'a', now)).state).toBe('rejected');
  });
});

describe('execute → executed', () => {
  it('executes an approved, unexpired grant: closed now, naming the actor and the successor', () => {
    expect(next(executeGrant(tokenIn('approved'), 'rrq_1', by, now))).toEqual({
      ...request('approved'),
      state: 'executed',
      executedBy: 'tok_owner',
      executedAt: now.toISOString(),
      successorId: 'tok_next',
      closedAt: now.toISOString(),
    });
  });

  it.each(REQUEST_STATES.filter((state) => state !== 'approved'))(
    'refuses to execute a %s request',
    (state) => {
      expect(executeGrant(tokenIn(state), 'rrq_1', by, now).outcome).toBe('refused');
    },
  );

  it('refuses a grant past its expiry as gone, and a second use as a conflict', () => {
    const expired = executeGrant(tokenIn('approved'), 'rrq_1', by, new Date(grantExpiresAt));
    expect(expired).toMatchObject({ outcome: 'refused', refusal: { code: 'gone' } });
    const used = tokenRecord({
      rotationRequest: next(executeGrant(tokenIn('approved'), 'rrq_1', by, now)),
    });
    expect(executeGrant(used, 'rrq_1', by, now)).toMatchObject({
      outcome: 'refused',
      refusal: { code: 'conflict' },
    });
  });

  it('refuses a grant on a token that can no longer be rotated', () => {
    const rotated = tokenRecord({ rotatedTo: 'tok_x', rotationRequest: request('approved') });
    expect(executeGrant(rotated, 'rrq_1', by, now)).toMatchObject({
      outcome: 'refused',
      refusal: { message: 'Token tok_test cannot be rotated: it is already rotated' },
    });
  });
});

describe('close → failed or expired', () => {
  const lapsedPending = new Date(requestedAt.getTime() + REQUEST_DAYS * DAY_MS);

  it.each(['pending', 'approved'] as const)(
    'closes an open (%s) request as failed, at once, with its failure',
    (state) => {
      const step = closeRequest(
        tokenIn(state),
        { requestId: 'rrq_1', state: 'failed', failure: 'boom' },
        now,
      );
      expect(step).toEqual({
        outcome: 'changed',
        request: {
          ...request(state),
          state: 'failed',
          closedAt: now.toISOString(),
          failure: 'boom',
        },
        from: state,
      });
    },
  );

  it.each([
    ['pending', lapsedPending],
    ['approved', new Date(grantExpiresAt)],
  ] as const)(
    'closes an open (%s) request as expired only once its deadline has come',
    (state, deadline) => {
      const expire = (at: Date) =>
        closeRequest(tokenIn(state), { requestId: 'rrq_1', state: 'expired' }, at);
      expect(expire(new Date(deadline.getTime() - 1))).toEqual({ outcome: 'unchanged' });
      expect(expire(deadline)).toMatchObject({
        outcome: 'changed',
        request: { state: 'expired' },
        from: state,
      });
    },
  );

  it.each(
    [...CLOSED].flatMap((state) => [[state, 'failed'] as const, [state, 'expired'] as const]),
  )('leaves a closed (%s) request alone when asked to close it as %s', (state, closing) => {
    expect(
      closeRequest(tokenIn(state), { requestId: 'rrq_1', state: closing }, lapsedPending),
    ).toEqual({
      outcome: 'unchanged',
    });
  });

  it('leaves another request, or a token without one, alone', () => {
    const closing = { requestId: 'rrq_9', state: 'failed' } as const;
    expect(closeRequest(tokenIn('pending'), closing, now)).toEqual({ outcome: 'unchanged' });
    expect(closeRequest(tokenRecord(), closing, now)).toEqual({ outcome: 'unchanged' });
  });
});

describe('properties of the state machine', () => {
  const state = fc.constantFrom(...REQUEST_STATES);
  const closed = fc.constantFrom(...CLOSED);
  const at = fc
    .integer({ min: -10 * 24, max: 10 * 24 })
    .map((hours) => new Date(now.getTime() + hours * HOUR_MS));
  const actor = fc.constantFrom('tok_admin', 'tok_other', 'tok_owner');
  type Transition = (record: TokenRecord, when: Date, who: string) => RequestStep;
  const transition = fc.constantFrom<Transition>(
    (record, when, who) => decideRequest(record, approve, who, when),
    (record, when, who) => decideRequest(record, reject, who, when),
    (record, when, who) =>
      executeGrant(record, 'rrq_1', { actor: who, successorId: 'tok_next' }, when),
    (record, when) => closeRequest(record, { requestId: 'rrq_1', state: 'failed' }, when),
    (record, when) => closeRequest(record, { requestId: 'rrq_1', state: 'expired' }, when),
    (record, when, who) => askRotation(record, { requestId: 'rrq_1', reason: 'x' }, who, when),
  );

  it('no transition leaves a closed request open', () => {
    fc.assert(
      fc.property(closed, transition, at, actor, (from, step, when, who) => {
        const result = step(tokenIn(from), when, who);
        if (result.outcome === 'changed') expect(isOpen(result.request.state)).toBe(false);
      }),
    );
  });

  it('a deadline is never before requestedAt, from asking through deciding at any later time', () => {
    fc.assert(
      fc.property(at, fc.nat({ max: 30 * 24 }), fc.boolean(), (asked, hours, approves) => {
        const pending = next(
          askRotation(
            tokenRecord({ expiresAt: '2027-01-01T00:00:00.000Z' }),
            { requestId: 'rrq_1', reason: 'x' },
            'a',
            asked,
          ),
        );
        const deadlines = [requestDeadline(pending)];
        const decided = decideRequest(
          tokenRecord({ expiresAt: '2027-01-01T00:00:00.000Z', rotationRequest: pending }),
          approves ? approve : reject,
          'tok_admin',
          new Date(asked.getTime() + hours * HOUR_MS),
        );
        if (decided.outcome === 'changed') deadlines.push(requestDeadline(decided.request));
        for (const deadline of deadlines) {
          if (deadline !== undefined) expect(deadline >= pending.requestedAt).toBe(true);
        }
      }),
    );
  });

  it('every request a transition writes is a valid stored request', () => {
    fc.assert(
      fc.property(state, transition, at, actor, (from, step, when, who) => {
        const result = step(tokenIn(from), when, who);
        if (result.outcome === 'changed')
          expect(rotationRequestSchema.safeParse(result.request).success).toBe(true);
      }),
    );
  });

  it('repeating a step that changed the request changes nothing more (a grant is refused: single-use)', () => {
    fc.assert(
      fc.property(state, transition, at, actor, (from, step, when, who) => {
        const first = step(tokenIn(from), when, who);
        if (first.outcome !== 'changed') return;
        const again = step(tokenRecord({ rotationRequest: first.request }), when, who);
        expect(again.outcome).not.toBe('changed');
      }),
    );
  });
});
