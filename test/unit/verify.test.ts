import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { generateToken, hashToken } from '../../shared/token/format';
import { evaluateRecord, verifyToken } from '../../shared/token/verify';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-06-01T12:00:00.000Z');

const record = tokenRecord;

describe('evaluateRecord', () => {
  it.each([
    ['unknown token', undefined, { allowed: false, reason: 'unknown' }],
    ['revoked token', record({ status: 'revoked' }), { allowed: false, reason: 'revoked' }],
    ['expired status', record({ status: 'expired' }), { allowed: false, reason: 'expired' }],
    [
      'active but past expiry',
      record({ expiresAt: '2026-06-01T12:00:00.000Z' }),
      { allowed: false, reason: 'expired' },
    ],
    [
      'predecessor past its grace deadline',
      record({ rotatedTo: 'tok_next', graceUntil: '2026-06-01T11:59:59.999Z' }),
      { allowed: false, reason: 'past-grace' },
    ],
    [
      'revoked predecessor within grace',
      record({ status: 'revoked', rotatedTo: 'tok_next', graceUntil: '2026-06-08T00:00:00.000Z' }),
      { allowed: false, reason: 'revoked' },
    ],
    [
      'predecessor whose grace outlives its expiry',
      record({
        rotatedTo: 'tok_next',
        graceUntil: '2026-07-01T00:00:00.000Z',
        expiresAt: '2026-06-01T00:00:00.000Z',
      }),
      { allowed: false, reason: 'expired' },
    ],
    [
      'predecessor retired by cleanup after its grace ended',
      record({ status: 'expired', rotatedTo: 'tok_next', graceUntil: '2026-06-01T11:00:00.000Z' }),
      { allowed: false, reason: 'past-grace' },
    ],
    [
      'predecessor whose grace and expiry both passed, grace first',
      record({
        rotatedTo: 'tok_next',
        graceUntil: '2026-05-20T00:00:00.000Z',
        expiresAt: '2026-05-30T00:00:00.000Z',
      }),
      { allowed: false, reason: 'past-grace' },
    ],
    [
      'active token whose stored scope breaks the grammar (legacy or tampered item)',
      record({ scopes: ['orders:read', 'orders:read admin'] }),
      { allowed: false, reason: 'invalid-scope' },
    ],
    [
      'revoked token with a bad scope: revocation is named first',
      record({ status: 'revoked', scopes: ['orders:read admin'] }),
      { allowed: false, reason: 'revoked' },
    ],
    ['active token', record(), { allowed: true, inGrace: false }],
    [
      'predecessor within grace',
      record({ rotatedTo: 'tok_next', graceUntil: '2026-06-01T12:00:00.001Z' }),
      { allowed: true, inGrace: true },
    ],
  ])('%s', (_, input, expected) => {
    expect(evaluateRecord(input, NOW)).toMatchObject(expected);
  });
});

describe('verifyToken', () => {
  it('rejects a malformed token without a lookup', async () => {
    const lookup = vi.fn(() => Promise.resolve(record()));
    const token = generateToken();
    const verdict = await verifyToken(`${token.slice(0, -1)}!`, { lookup, now: () => NOW });
    expect(verdict).toEqual({ allowed: false, reason: 'malformed' });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('looks a well-formed token up by its hash, once', async () => {
    const token = generateToken();
    const lookup = vi.fn((hash: string) =>
      Promise.resolve(hash === hashToken(token) ? record({ tokenHash: hash }) : undefined),
    );
    const verdict = await verifyToken(token, { lookup, now: () => NOW });
    expect(verdict.allowed).toBe(true);
    expect(lookup).toHaveBeenCalledExactlyOnceWith(hashToken(token));
  });

  it('honours a deployment prefix', async () => {
    const token = generateToken('sk_test_');
    const lookup = () => Promise.resolve(undefined);
    expect(await verifyToken(token, { lookup, now: () => NOW })).toMatchObject({
      reason: 'malformed',
    });
    expect(await verifyToken(token, { lookup, now: () => NOW, prefix: 'sk_test_' })).toMatchObject({
      reason: 'unknown',
    });
  });
});

describe('evaluateRecord around expiry and grace boundaries (clock skew)', () => {
  const MINUTE = 60_000;
  const base = Date.parse('2026-06-01T12:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();

  it('allows exactly before the effective end, on any clock, and never flaps back to allowed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -7 * 24 * 60 * MINUTE, max: 7 * 24 * 60 * MINUTE }), // expiry offset
        fc.option(fc.integer({ min: -7 * 24 * 60 * MINUTE, max: 7 * 24 * 60 * MINUTE })), // grace
        fc.array(fc.integer({ min: -5 * MINUTE, max: 5 * MINUTE }), { minLength: 2, maxLength: 8 }), // skewed clocks
        (expiresIn, graceIn, skews) => {
          const rotated =
            graceIn === null ? {} : { rotatedTo: 'tok_next', graceUntil: iso(base + graceIn) };
          const r = record({ expiresAt: iso(base + expiresIn), ...rotated });
          const end = Math.min(base + expiresIn, graceIn === null ? Infinity : base + graceIn);
          const times = skews.map((s) => base + s).sort((a, b) => a - b);
          let deniedBefore = false;
          for (const t of times) {
            const verdict = evaluateRecord(r, new Date(t));
            expect(verdict.allowed).toBe(t < end);
            if (deniedBefore) expect(verdict.allowed).toBe(false);
            deniedBefore ||= !verdict.allowed;
          }
        },
      ),
    );
  });
});
