/**
 * Service-token format: `<prefix><43 random base62 chars><6 base62 chars of CRC32>`.
 *
 * - 43 base62 characters carry 43 * log2(62) = 256.03 bits from the CSPRNG.
 * - The checksum is CRC32 over prefix + secret part (like GitHub's tokens), encoded as six
 *   base62 digits (62^6 > 2^32). Any single-character change is caught: CRC32 detects every
 *   burst error of up to 32 bits, so typos and forged-looking tokens are rejected offline,
 *   before any database call.
 * - Only SHA-256(token) is ever stored; `displayHint` is the non-secret form for humans.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SECRET_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
export const BODY_LENGTH = SECRET_LENGTH + CHECKSUM_LENGTH;
export const DEFAULT_TOKEN_PREFIX = 'sk_';

/** A prefix is one or two lowercase words, each followed by `_`: `sk_`, `sk_test_`. */
export const TOKEN_PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}_(?:[a-z0-9]{1,16}_)?$/;

/**
 * The regex secret scanners use to find leaked tokens of the default `sk_` family in text
 * (including `sk_<env>_` prefixes). A match is a candidate; `hasValidChecksum` confirms it
 * offline, so scanners report almost no false positives.
 */
export const TOKEN_SCANNER_PATTERN =
  /(?<![A-Za-z0-9_])sk_(?:[a-z0-9]{1,16}_)?[0-9A-Za-z]{49}(?![A-Za-z0-9_])/g;

export type TokenRejection = 'malformed' | 'checksum';

export type ParsedToken =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly reason: TokenRejection };

export class InvalidTokenPrefixError extends Error {
  constructor(prefix: string) {
    super(
      `Invalid token prefix "${prefix}": use lowercase letters and digits ending in "_", e.g. "sk_" or "sk_test_"`,
    );
    this.name = 'InvalidTokenPrefixError';
  }
}

export function assertValidPrefix(prefix: string): void {
  if (!TOKEN_PREFIX_PATTERN.test(prefix)) throw new InvalidTokenPrefixError(prefix);
}

// Lookup table: char code -> base62 digit + 1 (0 = not base62). Faster than a regex on the
// rejection hot path, and lets the checksum be compared as a number without building strings.
const BASE62_DIGIT = new Uint8Array(128);
for (let i = 0; i < BASE62_ALPHABET.length; i++)
  BASE62_DIGIT[BASE62_ALPHABET.charCodeAt(i)] = i + 1;

/** Uniform base62 string from the CSPRNG, by rejection sampling (bytes >= 248 are discarded). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // 25% spare bytes: rejection rate is 8/256, so one draw almost always suffices.
    const bytes = randomBytes(length + (length >> 2) + 4);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i] ?? 255;
      if (byte < 248) out += BASE62_ALPHABET.charAt(byte % 62);
    }
  }
  return out;
}

function encodeChecksum(value: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62_ALPHABET.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** Issue a new token. The caller shows it once and stores only `hashToken(token)`. */
export function generateToken(prefix: string = DEFAULT_TOKEN_PREFIX): string {
  assertValidPrefix(prefix);
  const head = prefix + randomBase62(SECRET_LENGTH);
  return head + encodeChecksum(crc32(head));
}

/**
 * Check a presented token's shape and checksum without any I/O. Cheap checks first:
 * length, prefix, alphabet, then the CRC.
 */
export function parseToken(input: string, prefix: string = DEFAULT_TOKEN_PREFIX): ParsedToken {
  if (input.length !== prefix.length + BODY_LENGTH || !input.startsWith(prefix)) {
    return { ok: false, reason: 'malformed' };
  }
  const split = input.length - CHECKSUM_LENGTH;
  let presented = 0;
  for (let i = prefix.length; i < input.length; i++) {
    const code = input.charCodeAt(i);
    // Check the range first: an out-of-bounds typed-array read deoptimises this loop.
    const digit = code < 128 ? (BASE62_DIGIT[code] ?? 0) : 0;
    if (digit === 0) return { ok: false, reason: 'malformed' };
    if (i >= split) presented = presented * 62 + digit - 1;
  }
  if (crc32(input.slice(0, split)) !== presented) return { ok: false, reason: 'checksum' };
  return { ok: true, token: input };
}

/** True when a scanner candidate (any valid prefix) carries a correct checksum. */
export function hasValidChecksum(candidate: string): boolean {
  const prefixEnd = candidate.length - BODY_LENGTH;
  if (prefixEnd < 1) return false;
  const prefix = candidate.slice(0, prefixEnd);
  return TOKEN_PREFIX_PATTERN.test(prefix) && parseToken(candidate, prefix).ok;
}

/** Every checksum-valid token of the `sk_` family in a text: for leak scans in tests and tools. */
export function findTokens(text: string): string[] {
  return [...text.matchAll(TOKEN_SCANNER_PATTERN)].map((m) => m[0]).filter(hasValidChecksum);
}

/** SHA-256 of the token, hex. The DynamoDB key; the plaintext itself is never stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Non-secret form for humans and logs: the prefix and the last four characters. */
export function displayHint(token: string): string {
  const prefixEnd = token.length - BODY_LENGTH;
  const prefix = prefixEnd > 0 ? token.slice(0, prefixEnd) : '';
  return `${prefix}…${token.slice(-4)}`;
}

/** Public, non-secret identifier of a token (for APIs, logs and audit). ~95 bits. */
export function generateTokenId(): string {
  return `tok_${randomBase62(16)}`;
}

/** A public, non-secret rotation request id. */
export function generateRequestId(): string {
  return `rrq_${randomBase62(16)}`;
}
