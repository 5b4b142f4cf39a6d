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
 * The regex external secret scanners use to find leaked tokens of the default `sk_` family in
 * text (including `sk_<env>_` prefixes). A match is a candidate; `hasValidChecksum` confirms it
 * offline. Anchored on word boundaries on purpose: scanners sweep whole repositories and chat
 * logs, and a token standing alone is what a leak looks like there. Our own refusal and
 * redaction must be exhaustive instead (glued, encoded, any prefix): they use `findTokens`.
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

/**
 * Rounds of percent-decoding the finder undoes. Transports encode a token at most twice (a URL
 * in a query string, logged); three rounds cover one more. Text that would still decode after
 * them counts as holding a token (`holdsToken`), so nesting deeper gains nothing, and the work
 * stays linear: at most four passes over the text.
 *
 * Only `%XX` escapes of ASCII characters are decoded: tokens, `%` and hex digits are ASCII, and
 * a UTF-8 escape decodes to non-ASCII (overlong forms are invalid UTF-8 and decoders refuse
 * them). `+` is left alone: form encoding decodes it to a space, which no token contains. A
 * malformed escape stays as it is (decodeURIComponent would throw, and a stray `%` must not
 * switch decoding off). Other encodings (base64, `\u0073`, HTML entities) are not undone:
 * transports do not apply them to a pasted token, and no filter stops a token holder who
 * disguises one on purpose.
 */
export const PERCENT_DECODE_ROUNDS = 3;

const ASCII_ESCAPE = /%([0-7][0-9A-Fa-f])/g;

function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(ASCII_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * What a screen or a consumer's normalisation may turn text into: NFKC (a fullwidth `＿` or
 * `ｓ` becomes ASCII) without default-ignorable characters (soft hyphen, zero-width space),
 * which render as nothing. A token disguised that way looks, and often becomes, the token.
 */
function fold(text: string): string {
  if (/^\p{ASCII}*$/u.test(text)) return text; // the common case: nothing to fold
  return text.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '');
}

/** The text, folded, and what it decodes to, round by round; `deeper`: it would decode once more. */
function decodings(text: string): { texts: string[]; deeper: boolean } {
  const texts = [text];
  let last = fold(text);
  if (last !== text) texts.push(last);
  for (let round = 0; round <= PERCENT_DECODE_ROUNDS; round++) {
    const next = percentDecode(last);
    if (next === last) return { texts, deeper: false };
    if (round === PERCENT_DECODE_ROUNDS) break;
    texts.push(next);
    last = next;
  }
  return { texts, deeper: true };
}

const MAX_WORD = 16;
const isBase62 = (code: number) => code < 128 && (BASE62_DIGIT[code] ?? 0) !== 0;
const isLower = (code: number) => code >= 97 && code <= 122;
const isWordChar = (code: number) => isLower(code) || (code >= 48 && code <= 57);

/** Length of the run of `[a-z0-9]` ending just before `end`, counting at most `max + 1`. */
function wordBefore(text: string, end: number, max = MAX_WORD): number {
  let length = 0;
  while (length <= max && end - length > 0 && isWordChar(text.charCodeAt(end - length - 1))) {
    length++;
  }
  return length;
}

/**
 * Where a prefix matching TOKEN_PREFIX_PATTERN can start when its final `_` is at `underscore`:
 * each one-word prefix (`sk_`, `xsk_`, …) and, when a `_` bounds that word, each two-word one
 * (`sk_test_`). At most 32 starts; the checksum tells which, if any, is the token.
 */
function prefixStarts(text: string, underscore: number): number[] {
  const starts: number[] = [];
  const last = wordBefore(text, underscore);
  for (let k = 1; k <= Math.min(last, MAX_WORD); k++) {
    if (isLower(text.charCodeAt(underscore - k))) starts.push(underscore - k);
  }
  const inner = underscore - last - 1;
  if (last < 1 || last > MAX_WORD || text.charCodeAt(inner) !== 95) return starts;
  const first = wordBefore(text, inner);
  for (let k = 1; k <= Math.min(first, MAX_WORD); k++) {
    if (isLower(text.charCodeAt(inner - k))) starts.push(inner - k);
  }
  return starts;
}

/**
 * Every checksum-valid token written out in `text`, as [start, end) spans, in order: each `_`
 * followed by 49 base62 characters is a window, tried with every prefix that can end there.
 * Glued words or a glued second token do not hide one. Linear: windows do not overlap (a body
 * holds no `_`) and each is tried with at most 32 prefixes.
 */
function tokenSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (let u = text.indexOf('_'); u !== -1; u = text.indexOf('_', u + 1)) {
    let run = 0;
    while (run < BODY_LENGTH && isBase62(text.charCodeAt(u + 1 + run))) run++;
    if (run < BODY_LENGTH) continue;
    const end = u + 1 + BODY_LENGTH;
    for (const start of prefixStarts(text, u)) {
      if (hasValidChecksum(text.slice(start, end))) spans.push([start, end]);
    }
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

/**
 * Every checksum-valid token in a text, of any prefix a deployment may use, at any position,
 * plain or percent-encoded (up to PERCENT_DECODE_ROUNDS): for refusals, redaction and leak scans.
 */
export function findTokens(text: string): string[] {
  return scan(text).tokens;
}

/** True when text holds a token, or is percent-encoded too deeply to tell: refuse or redact it. */
export function holdsToken(text: string): boolean {
  const { tokens, deeper } = scan(text);
  return tokens.length > 0 || deeper;
}

function scan(text: string): { tokens: string[]; deeper: boolean } {
  const { texts, deeper } = decodings(text);
  const found = texts.flatMap((t) => tokenSpans(t).map(([start, end]) => t.slice(start, end)));
  return { tokens: [...new Set(found)], deeper };
}

/**
 * The text with every token in it replaced. A plain token's span is replaced and the rest kept;
 * if anything is left that holds a token (an encoded one, whose span in the original text is
 * not simply known), the whole text is replaced: safe, and simpler than mapping spans back
 * through rounds of decoding.
 */
export function redactTokens(text: string, replacement: string): string {
  let out = '';
  let at = 0;
  for (const [start, end] of tokenSpans(text)) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + (start >= at ? replacement : '');
    at = end;
  }
  out += text.slice(at);
  return holdsToken(out) ? replacement : out;
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
