/**
 * fast-check arbitraries for the forms a token takes in free text: glued to word characters,
 * percent-encoded whole or in part for one to three rounds, two tokens glued together.
 * Tokens are built here from the documented format (CRC32 of prefix + secret, six base62
 * digits), independently of shared/token/format.ts, so the finder is tested against the spec.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { BASE62_ALPHABET, SECRET_LENGTH, TOKEN_PREFIX_PATTERN } from '../../shared/token/format';

/** A checksum-valid token with this prefix and 43-character secret. */
export function tokenOf(prefix: string, secret: string): string {
  const head = prefix + secret;
  let rest = crc32(head);
  let checksum = '';
  for (let i = 0; i < 6; i++) {
    checksum = BASE62_ALPHABET.charAt(rest % 62) + checksum;
    rest = Math.floor(rest / 62);
  }
  return head + checksum;
}

/** The default family: `sk_` and `sk_<env>_`. */
export const skPrefix = fc.oneof(
  fc.constantFrom('sk_', 'sk_test_', 'sk_live_'),
  fc.stringMatching(/^sk_[a-z0-9]{1,16}_$/),
);
/** Any prefix a deployment may configure (TOKEN_PREFIX). */
export const anyPrefix = fc.oneof(skPrefix, fc.stringMatching(TOKEN_PREFIX_PATTERN));

/** One of the (ASCII) characters of `chars`. */
const charOf = (chars: string): fc.Arbitrary<string> => fc.constantFrom(...Array.from(chars));
const base62 = charOf(BASE62_ALPHABET);
const secret = fc.string({ unit: base62, minLength: SECRET_LENGTH, maxLength: SECRET_LENGTH });

export const tokens = (prefix: fc.Arbitrary<string> = anyPrefix): fc.Arbitrary<string> =>
  fc.tuple(prefix, secret).map(([p, s]) => tokenOf(p, s));

/** One round of percent-encoding: character i becomes %XX when mask[i] is odd (bit 2: hex case). */
export function percentEncode(text: string, mask: Uint8Array): string {
  if (mask.length === 0) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const bits = mask[i % mask.length] ?? 0;
    const char = text.charAt(i);
    if ((bits & 1) === 0) {
      out += char;
      continue;
    }
    const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
    out += `%${(bits & 2) === 0 ? hex.toUpperCase() : hex}`;
  }
  return out;
}

/** `text` after `rounds` rounds of encoding, each of a chosen subset of its characters. */
export const encodedUpTo = (text: string, rounds: number): fc.Arbitrary<string> =>
  fc
    .array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: rounds })
    .map((masks) => masks.reduce(percentEncode, text));

/** Every character encoded, `rounds` times over: `s` → `%73` → `%2573` → `%252573`. */
export function encodeFully(text: string, rounds: number): string {
  let out = text;
  for (let i = 0; i < rounds; i++) out = percentEncode(out, Uint8Array.of(1));
  return out;
}

/** The texts a reader gets by percent-decoding `text` zero to `rounds` times. */
export function decodings(text: string, rounds: number): string[] {
  const out = [text];
  for (let i = 0; i < rounds; i++) {
    const last = out[out.length - 1] ?? '';
    out.push(
      last.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      ),
    );
  }
  return out;
}

/** Text around a token: word characters and `_` (which glue to it), `%`, hex, anything. */
export const around = (maxLength = 12): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: charOf('abcdefksxyzABF0129_%-. :'), maxLength }),
    fc.string({ unit: charOf(`${BASE62_ALPHABET}_`), maxLength }),
    fc.string({ maxLength }),
  );

/** Text a name or a metadata key may hold: word characters (and the name's punctuation). */
export const wordsAround = (unit: string, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: charOf(unit), maxLength });

export interface Embedded {
  readonly text: string;
  /** The tokens in it (plain, or what its encoded parts decode to). */
  readonly tokens: readonly string[];
}

/**
 * `a + token + b` with the token plain or encoded (up to `rounds` rounds), or two tokens glued
 * together. The tokens are findable by construction unless `a` ends in a `%` escape that eats
 * the token's first character; properties check that premise with `decodings`.
 */
export const embedded = (
  options: { rounds?: number; prefix?: fc.Arbitrary<string>; context?: fc.Arbitrary<string> } = {},
): fc.Arbitrary<Embedded> => {
  const rounds = options.rounds ?? 3;
  const context = options.context ?? around();
  const one = tokens(options.prefix).chain((token) =>
    encodedUpTo(token, rounds).map((form) => ({ form, tokens: [token] })),
  );
  const glued = fc
    .tuple(one, one)
    .map(([x, y]) => ({ form: x.form + y.form, tokens: [...x.tokens, ...y.tokens] }));
  return fc
    .tuple(context, fc.oneof(one, glued), context)
    .map(([a, inner, b]) => ({ text: a + inner.form + b, tokens: inner.tokens }));
};

/** True when every token of `e` is readable in `e.text` after at most `rounds` decodings. */
export function readable(e: Embedded, rounds = 3): boolean {
  const texts = decodings(e.text, rounds);
  return e.tokens.every((token) => texts.some((t) => t.includes(token)));
}

/** A token with one character of its body changed: the checksum no longer matches. */
export const nearTokens: fc.Arbitrary<string> = fc
  .tuple(tokens(), fc.nat(), base62)
  .map(([token, at, char]) => {
    const i = token.length - 1 - (at % 49);
    const swapped = token.charAt(i) === char ? (char === 'a' ? 'b' : 'a') : char;
    return token.slice(0, i) + swapped + token.slice(i + 1);
  });
