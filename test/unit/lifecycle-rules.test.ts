/**
 * The lifecycle refusals (shared/token/lifecycle-rules.ts) as pure functions: no emulator, no
 * SDK. The store raises each refusal as a TokenStoreError with this code and message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bootstrapRefusal,
  deactivateRefusal,
  grantRefusal,
  markRotatedRefusal,
  rotationRefusal,
  successorRefusal,
} from '../../shared/token/lifecycle-rules';
import {
  REQUEST_STATES,
  TOKEN_STATUSES,
  type RotationRequest,
  type TokenRecord,
} from '../../shared/token/record';
import { rotationRequest } from '../support/rotation-requests';
import { tokenRecord } from '../support/tokens';

const now = new Date('2026-06-01T12:00:00.000Z');
const later = '2026-06-02T00:00:00.000Z';
const earlier = '2026-06-01T00:00:00.000Z';

function withRequest(request: Partial<RotationRequest>): TokenRecord {
  return tokenRecord({
    rotationRequest: rotationRequest('approved', { grantExpiresAt: later, ...request }),
  });
}

describe('rotationRefusal', () => {
  it('lets an active operational token that is not rotated and has not ended be rotated', () => {
    expect(rotationRefusal(tokenRecord(), now)).toBeUndefined();
  });

  it('refuses a bootstrap token as its kind says: it is exchanged, not rotated', () => {
    expect(rotationRefusal(tokenRecord({ kind: 'bootstrap' }), now)).toEqual({
      code: 'conflict',
      message: 'tok_test is a bootstrap token: it is exchanged, not rotated',
    });
  });

  it.each([
    [{ status: 'revoked' as const }, 'it is revoked'],
    [{ status: 'pending' as const }, 'it is pending'],
    [{ rotatedTo: 'tok_next', graceUntil: later }, 'it is already rotated'],
    [{ expiresAt: now.toISOString() }, 'it is active and has ended'],
    [{ rotatedTo: 'tok_next', graceUntil: earlier }, 'it is already rotated and has ended'],
  ])('refuses %o as a conflict: "%s"', (overrides, reason) => {
    expect(rotationRefusal(tokenRecord(overrides), now)).toEqual({
      code: 'conflict',
      message: `Token tok_test cannot be rotated: ${reason}`,
    });
  });

  it('allows exactly the active, unrotated, unended operational tokens', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOKEN_STATUSES),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: -3, max: 3 }),
        (status, rotated, bootstrap, days) => {
          const expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
          const record = tokenRecord({
            status,
            expiresAt,
            ...(rotated ? { rotatedTo: 'tok_next' } : {}),
            ...(bootstrap ? { kind: 'bootstrap' as const } : {}),
          });
          const allowed = status === 'active' && !rotated && !bootstrap && days > 0;
          expect(rotationRefusal(record, now) === undefined).toBe(allowed);
        },
      ),
    );
  });
});

describe('grantRefusal', () => {
  it('lets an approved, unexpired grant of the named request be used', () => {
    expect(grantRefusal(withRequest({}), 'rrq_1', now)).toBeUndefined();
  });

  it('answers not-found for a token without that request', () => {
    const refusal = { code: 'not-found', message: 'No rotation request rrq_1' };
    expect(grantRefusal(tokenRecord(), 'rrq_1', now)).toEqual(refusal);
    expect(grantRefusal(withRequest({ requestId: 'rrq_2' }), 'rrq_1', now)).toEqual(refusal);
  });

  it('refuses a used grant as a conflict: it is single-use', () => {
    expect(
      grantRefusal(withRequest({ state: 'executed', executedAt: earlier }), 'rrq_1', now),
    ).toEqual({
      code: 'conflict',
      message: `The grant of rotation request rrq_1 was already used at ${earlier}: it is single-use`,
    });
  });

  it('answers gone for a grant past its expiry, closed or not yet closed', () => {
    expect(grantRefusal(withRequest({ state: 'expired' }), 'rrq_1', now)).toEqual({
      code: 'gone',
      message: `The grant of rotation request rrq_1 expired at ${later}`,
    });
    expect(grantRefusal(withRequest({ grantExpiresAt: earlier }), 'rrq_1', now)).toEqual({
      code: 'gone',
      message: `The grant of rotation request rrq_1 expired at ${earlier}: ask for a new rotation`,
    });
  });

  it.each(['pending', 'rejected', 'failed'] as const)(
    'refuses a %s request as a conflict: it is not approved',
    (state) => {
      expect(grantRefusal(withRequest({ state }), 'rrq_1', now)).toEqual({
        code: 'conflict',
        message: `Rotation request rrq_1 is ${state}, not approved`,
      });
    },
  );

  it('refuses a request that lapsed undecided (expired, never granted) as not approved', () => {
    const lapsed = withRequest({ state: 'expired', grantExpiresAt: undefined });
    expect(grantRefusal(lapsed, 'rrq_1', now)).toEqual({
      code: 'conflict',
      message: 'Rotation request rrq_1 is expired, not approved',
    });
  });

  it('lets no grant be used but an approved one before its expiry', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REQUEST_STATES), fc.boolean(), (state, unexpired) => {
        const record = withRequest({ state, grantExpiresAt: unexpired ? later : earlier });
        const allowed = state === 'approved' && unexpired;
        expect(grantRefusal(record, 'rrq_1', now) === undefined).toBe(allowed);
      }),
    );
  });
});

describe('bootstrapRefusal', () => {
  const bootstrap = (overrides: Partial<TokenRecord> = {}) =>
    tokenRecord({ kind: 'bootstrap', expiresAt: later, ...overrides });

  it('lets an active, unused bootstrap token before its expiry be exchanged', () => {
    expect(bootstrapRefusal(bootstrap(), now)).toBeUndefined();
  });

  it('refuses an operational token: its kind is not exchanged', () => {
    expect(bootstrapRefusal(tokenRecord(), now)).toEqual({
      code: 'conflict',
      message: 'tok_test is not a bootstrap token',
    });
  });

  it('refuses a used bootstrap token as single-use, saying when it was used if known', () => {
    expect(bootstrapRefusal(bootstrap({ status: 'used', exchangedAt: earlier }), now)).toEqual({
      code: 'conflict',
      message: `Bootstrap token tok_test was already exchanged at ${earlier}: it is single-use`,
    });
    expect(bootstrapRefusal(bootstrap({ exchangedFor: 'tok_op' }), now)).toEqual({
      code: 'conflict',
      message: 'Bootstrap token tok_test was already exchanged: it is single-use',
    });
  });

  it('refuses a revoked bootstrap token as a conflict', () => {
    expect(bootstrapRefusal(bootstrap({ status: 'revoked' }), now)).toEqual({
      code: 'conflict',
      message: 'Bootstrap token tok_test was revoked',
    });
  });

  it('answers gone for an expired bootstrap token, by the clock or by cleanup', () => {
    const gone = (expiresAt: string) => ({
      code: 'gone',
      message: `Bootstrap token tok_test expired at ${expiresAt}: ask an admin for a new one`,
    });
    expect(bootstrapRefusal(bootstrap({ expiresAt: now.toISOString() }), now)).toEqual(
      gone(now.toISOString()),
    );
    expect(bootstrapRefusal(bootstrap({ status: 'expired' }), now)).toEqual(gone(later));
  });
});

describe('the Secrets Manager rotation steps', () => {
  it('marks an active, unrotated token rotated; refuses one already rotated or not active', () => {
    expect(markRotatedRefusal(tokenRecord())).toBeUndefined();
    expect(markRotatedRefusal(tokenRecord({ rotatedTo: 'tok_a' }))).toEqual({
      code: 'conflict',
      message: 'Token tok_test was already rotated',
    });
    expect(markRotatedRefusal(tokenRecord({ status: 'expired' }))).toEqual({
      code: 'conflict',
      message: 'Token tok_test is expired',
    });
  });

  it.each(TOKEN_STATUSES)('activates a successor only if pending or active (%s)', (status) => {
    const refusal = successorRefusal(tokenRecord({ status }));
    if (status === 'pending' || status === 'active') expect(refusal).toBeUndefined();
    else expect(refusal).toEqual({ code: 'conflict', message: `Successor tok_test is ${status}` });
  });

  it('sends back to pending only an active successor nothing has rotated away from', () => {
    expect(deactivateRefusal(tokenRecord())).toBeUndefined();
    const refusal = { code: 'conflict', message: 'Token tok_test cannot go back to pending' };
    expect(deactivateRefusal(tokenRecord({ rotatedTo: 'tok_next' }))).toEqual(refusal);
    expect(deactivateRefusal(tokenRecord({ status: 'revoked' }))).toEqual(refusal);
  });
});
