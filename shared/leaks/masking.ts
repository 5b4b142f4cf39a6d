/**
 * The token pattern CloudWatch Logs masks (a data protection policy's custom data identifier,
 * infra/log-masking.ts). CloudWatch's regex dialect has no groups and no lookaround, and
 * allows only `[a-zA-Z0-9_#=@/;,- ]` besides `^$?[]{}|\\*+.`, so this is a superset of
 * TOKEN_SCANNER_PATTERN: the deployment's prefix, then 49 to 66 base62 characters or `_` (the
 * body, or a second prefix word and the body). Over-masking an identifier that looks like a
 * token is harmless; missing a token is not.
 */
import { BODY_LENGTH, assertValidPrefix } from '../token/format';

/** Longest second prefix word and its `_`, as TOKEN_PREFIX_PATTERN allows. */
const SECOND_WORD = 17;

/** Characters a CloudWatch Logs custom data identifier's regex may contain. */
export const CLOUDWATCH_REGEX_CHARS = /^[a-zA-Z0-9_#=@/;,\- ^$?[\]{}|\\*+.]{1,200}$/;

export function logMaskingPattern(prefix: string): string {
  assertValidPrefix(prefix);
  const pattern = `${prefix}[0-9A-Za-z_]{${String(BODY_LENGTH)},${String(BODY_LENGTH + SECOND_WORD)}}`;
  if (!CLOUDWATCH_REGEX_CHARS.test(pattern)) {
    throw new Error(`The masking pattern for prefix "${prefix}" is not a CloudWatch Logs regex`);
  }
  return pattern;
}
