/**
 * The token finder behind every refusal of free text and every redaction: a checksum-valid
 * token is found at any position (glued to words, glued to another token), plain or
 * percent-encoded up to three rounds; deeper encodings count as holding a token.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findTokens,
  generateToken,
  holdsToken,
  PERCENT_DECODE_ROUNDS,
  redactTokens,
  TOKEN_SCANNER_PATTERN,
} from '../../shared/token/format';
import {
  around,
  embedded,
  encodeFully,
  nearTokens,
  readable,
  skPrefix,
  tokens,
} from '../support/token-variants';

const token = generateToken();
const other = generateToken('sk_test_');
const body = token.slice('sk_'.length);

describe('finding tokens glued to other text', () => {
  it.each([
    ['a word before it', `svc_${token}`],
    ['a word and underscore before it', `found_${token}`],
    ['a word after it', `${token}_old`],
    ['letters and digits on both sides', `x${token}9`],
    ['a JSON key around it', `{"k":"v${token}v"}`],
  ])('finds a token with %s', (_, text) => {
    expect(findTokens(text)).toEqual([token]);
  });

  it('finds both of two tokens glued together', () => {
    expect(findTokens(token + other)).toEqual([token, other]);
    expect(findTokens(`${other}${token}${other}`)).toEqual([other, token]);
  });

  it('finds tokens of a custom prefix, also glued to words', () => {
    const custom = generateToken('acme_prod_');
    expect(findTokens(`deploy_${custom}_v2`)).toEqual([custom]);
  });

  it('keeps the documented scanner regex anchored (external scanners stay precise)', () => {
    const glued = `svc_${token}`;
    expect(glued.match(TOKEN_SCANNER_PATTERN)).toBeNull();
    expect(findTokens(glued)).toEqual([token]);
  });
});

describe('finding percent-encoded tokens', () => {
  it.each([
    ['in an encoded header', `Authorization:%20Bearer%20${token}`],
    ['with its underscore encoded', `sk%5F${body}`],
    ['with its underscore encoded in lower case', `sk%5f${body}`],
    ['with its first letter encoded', `%73k_${body}`],
    ['double encoded', `%2573k%255F${body}`],
    ['triple encoded', `%252573k_${body}`],
    ['fully encoded once', encodeFully(token, 1)],
    ['fully encoded three times', encodeFully(token, PERCENT_DECODE_ROUNDS)],
    ['next to a lone percent sign', `100% %73k_${body}%`],
  ])('finds a token %s', (_, text) => {
    expect(findTokens(text)).toEqual([token]);
    expect(holdsToken(text)).toBe(true);
  });

  it('does not decode "+" to anything a token is made of', () => {
    expect(findTokens(`Bearer+${token}+x`)).toEqual([token]);
    expect(findTokens(`sk+${body}`)).toEqual([]);
  });

  it('counts text encoded more than three rounds as holding a token, without decoding it', () => {
    const tooDeep = encodeFully(token, PERCENT_DECODE_ROUNDS + 1);
    expect(findTokens(tooDeep)).toEqual([]);
    expect(holdsToken(tooDeep)).toBe(true);
    expect(holdsToken('%2525252541')).toBe(true);
    expect(holdsToken('100%25 sure, 50%2525 maybe')).toBe(false);
  });
});

describe('finding tokens disguised for the eye', () => {
  it.each([
    ['a soft hyphen', (t: string) => `${t.slice(0, 10)}\u00ad${t.slice(10)}`],
    ['a zero-width space', (t: string) => `${t.slice(0, 20)}\u200b${t.slice(20)}`],
    ['a fullwidth underscore', (t: string) => t.replace('_', '\uff3f')],
    ['fullwidth letters', (t: string) => `\uff53\uff4b${t.slice(2)}`],
  ])('finds a token with %s in it, and redaction replaces the whole text', (_, disguise) => {
    const token = generateToken();
    const text = `note: ${disguise(token)} end`;
    expect(holdsToken(text)).toBe(true);
    expect(redactTokens(text, '[redacted]')).toBe('[redacted]');
  });
});

describe('finder properties', () => {
  it('finds every token in a + token + b, plain, encoded or glued', () => {
    fc.assert(
      fc.property(embedded(), (e) => {
        fc.pre(readable(e));
        const found = findTokens(e.text);
        for (const t of e.tokens) expect(found).toContain(t);
        expect(holdsToken(e.text)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('finds the sk_ family whatever is glued around it', () => {
    fc.assert(
      fc.property(around(), tokens(skPrefix), around(), (a, t, b) => {
        fc.pre(readable({ text: a + t + b, tokens: [t] }));
        expect(findTokens(a + t + b)).toContain(t);
      }),
    );
  });

  it('finds nothing in text without a checksum-valid token', () => {
    fc.assert(
      fc.property(around(60), fc.oneof(nearTokens, around(60)), around(60), (a, fake, b) => {
        expect(findTokens(a + fake + b)).toEqual([]);
        expect(holdsToken(a + fake + b)).toBe(false);
        expect(redactTokens(a + fake + b, '[redacted]')).toBe(a + fake + b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('redacting tokens', () => {
  it('replaces plain tokens and keeps the rest of the text', () => {
    expect(redactTokens(`why: ${token}_old and ${other}`, '[x]')).toBe('why: [x]_old and [x]');
  });

  it('replaces the whole text when a token is in it only encoded', () => {
    expect(redactTokens(`why: sk%5F${body}`, '[x]')).toBe('[x]');
    expect(redactTokens(`${token} and %73k_${body}`, '[x]')).toBe('[x]');
  });

  it('leaves nothing findable, whatever the token form', () => {
    fc.assert(
      fc.property(embedded({ rounds: 5 }), (e) => {
        expect(holdsToken(redactTokens(e.text, '[redacted]'))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the finder on long text', () => {
  it('stays linear on adversarial input (many candidate windows, deep escapes)', () => {
    const windows = `ab_cd_${'Z'.repeat(49)}`.repeat(4000);
    const escapes = `%${'25'.repeat(50_000)}41`;
    const started = performance.now();
    expect(findTokens(windows + escapes)).toEqual([]);
    expect(holdsToken(escapes)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
