/**
 * What a leaked token gets, as a pure function of its record and the time: every token that
 * still authenticates (as the authorizer decides) gets an action, and the policy decides only
 * for tokens that are not a rotated-out predecessor in grace; a token that can no longer work
 * gets nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leakAction, LEAK_POLICIES } from '../../shared/leaks/candidates';
import { TOKEN_STATUSES, type TokenRecord } from '../../shared/token/record';
import { evaluateRecord } from '../../shared/token/verify';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const around = fc
  .integer({ min: -10 * 86_400_000, max: 10 * 86_400_000 })
  .map((offset) => new Date(NOW.getTime() + offset).toISOString());

const records: fc.Arbitrary<TokenRecord> = fc
  .record({
    status: fc.constantFrom(...TOKEN_STATUSES),
    expiresAt: around,
    rotated: fc.option(around, { nil: undefined }),
  })
  .map(({ status, expiresAt, rotated }) =>
    tokenRecord({
      status,
      expiresAt,
      ...(rotated === undefined ? {} : { rotatedTo: 'tok_next', graceUntil: rotated }),
    }),
  );

describe('leakAction', () => {
  it('acts on every token that still authenticates, and on pending ones', () => {
    fc.assert(
      fc.property(records, fc.constantFrom(...LEAK_POLICIES), (record, policy) => {
        const action = leakAction(record, policy, NOW);
        if (evaluateRecord(record, NOW).allowed || record.status === 'pending') {
          expect(action).not.toBe('none');
        } else {
          expect(action).toBe('none');
        }
      }),
    );
  });

  it('ends the grace of a predecessor in grace under either policy, else applies the policy', () => {
    fc.assert(
      fc.property(records, fc.constantFrom(...LEAK_POLICIES), (record, policy) => {
        const action = leakAction(record, policy, NOW);
        if (action === 'none') return;
        const inGrace = record.status === 'active' && record.rotatedTo !== undefined;
        expect(action).toBe(inGrace ? 'end-grace' : policy);
      }),
    );
  });
});
