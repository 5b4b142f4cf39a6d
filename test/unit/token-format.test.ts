import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASE62_ALPHABET,
  BODY_LENGTH,
  displayHint,
  findTokens,
  generateToken,
  generateTokenId,
  hashToken,
  parseToken,
  randomBase62,
  TOKEN_SCANNER_PATTERN,
} from '../../shared/token/format';

const prefixes = fc.constantFrom('sk_', 'sk_test_', 'svc_live_', 'a_');

describe('token format', () => {
  it('generates sk_ tokens of a fixed length from the base62 alphabet', () => {
    const token = generateToken();
    expect(token).toMatch(/^sk_[0-9A-Za-z]{49}$/);
    expect(token).toHaveLength(3 + BODY_LENGTH);
  });

  it('parses every token it generates, for any valid prefix', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const token = generateToken(prefix);
        expect(parseToken(token, prefix)).toEqual({ ok: true, token });
      }),
    );
  });

  it('rejects a token when any single character is changed', () => {
    fc.assert(
      fc.property(
        prefixes,
        fc.nat(),
        fc.integer({ min: 1, max: 127 }),
        (prefix, position, replacementCode) => {
          const token = generateToken(prefix);
          const index = position % token.length;
          const replacement = String.fromCharCode(replacementCode);
          fc.pre(replacement !== token[index]);
          const mutated = token.slice(0, index) + replacement + token.slice(index + 1);
          expect(parseToken(mutated, prefix).ok).toBe(false);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('reports a wrong checksum separately from a malformed shape', () => {
    const token = generateToken();
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(parseToken(token.slice(0, -1) + last)).toEqual({ ok: false, reason: 'checksum' });
    expect(parseToken(token.slice(1))).toEqual({ ok: false, reason: 'malformed' });
    expect(parseToken(token.replace('sk_', 'pk_'))).toEqual({ ok: false, reason: 'malformed' });
    expect(parseToken(`${token.slice(0, -2)}-${token.slice(-1)}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('rejects arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        expect(parseToken(input).ok).toBe(false);
      }),
    );
  });

  it('refuses to generate with an invalid prefix', () => {
    for (const prefix of ['', 'sk', 'SK_', 'sk-', '_sk_', 'sk_a_b_', 'x'.repeat(17) + '_']) {
      expect(() => generateToken(prefix), prefix).toThrow(/Invalid token prefix/);
    }
  });

  it('never repeats a token (256 random bits)', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => generateToken()));
    expect(tokens.size).toBe(10_000);
  });

  it('draws random characters uniformly from the alphabet', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(620_000);
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe(Array.from(BASE62_ALPHABET).sort().join(''));
    // Chi-square with 61 degrees of freedom: 130 is far beyond p = 1e-6 for a uniform source,
    // while a modulo bias (no rejection sampling) would push it into the thousands.
    const expected = sample.length / 62;
    const chiSquare = [...counts.values()].reduce(
      (sum, n) => sum + (n - expected) ** 2 / expected,
      0,
    );
    expect(chiSquare).toBeLessThan(130);
  });
});

describe('hashing and display', () => {
  it('hashes to 64 hex characters that never contain the plaintext or its secret part', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const token = generateToken(prefix);
        const hash = hashToken(token);
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(hash).toBe(hashToken(token));
        expect(hash.includes(token.slice(prefix.length, prefix.length + 8))).toBe(false);
      }),
    );
  });

  it('shows only the prefix and the last four characters', () => {
    const token = generateToken('sk_test_');
    const hint = displayHint(token);
    expect(hint).toBe(`sk_test_…${token.slice(-4)}`);
    expect(hint.replace('sk_test_…', '')).toHaveLength(4);
  });

  it('generates distinct public ids that are not tokens', () => {
    const id = generateTokenId();
    expect(id).toMatch(/^tok_[0-9A-Za-z]{16}$/);
    expect(parseToken(id).ok).toBe(false);
  });
});

describe('secret scanning', () => {
  it('finds checksum-valid tokens in text and ignores look-alikes', () => {
    const live = generateToken();
    const test = generateToken('sk_test_');
    const fake = `sk_${'A'.repeat(49)}`;
    const text = `export TOKEN=${live}\n{"t":"${test}"} and ${fake} and x${live.slice(1)}`;
    expect(findTokens(text)).toEqual([live, test]);
    expect(text.match(TOKEN_SCANNER_PATTERN)).toContain(fake);
  });
});
