/**
 * The grammar of an owner and of a token name, defined once: the API's bodies, the rotated-token
 * specs (CDK props at synth, TOKEN_SPECS at cold start) and the rotator all use it, so a token
 * issued by rotation can be named by every API route and CLI command that takes an owner
 * (listing, emergency revoke).
 */
import * as z from 'zod/mini';
import { holdsToken } from './format';
import { invalidScopes, quoteScopes, SCOPE_RULE } from './scope';

export const OWNER_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const OWNER_RULE = 'must be 1–64 lowercase letters, digits, ".", "_" or "-"';
export const ownerSchema = z.string().check(z.regex(OWNER_PATTERN, OWNER_RULE));

export const TOKEN_NAME_PATTERN = /^[\w .:@/-]{1,100}$/;
export const TOKEN_NAME_RULE = 'must be 1–100 letters, digits, spaces or . : @ / - _';

/** Free text we store and show: a token pasted into it would end up in tables and logs. */
export const noToken = (message = 'must not contain a service token') =>
  z.refine<string>((value) => !holdsToken(value), { message });

export const tokenNameSchema = z
  .string()
  .check(z.regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE), noToken());

/** What is wrong with a token spec's scopes, owner and name, for a synth-time error. */
export function specProblems(spec: {
  owner: string;
  name: string;
  scopes: readonly string[];
}): string[] {
  const invalid = invalidScopes(spec.scopes);
  return [
    ...(invalid.length === 0
      ? []
      : [`invalid scope ${quoteScopes(invalid)}; a scope ${SCOPE_RULE}`]),
    ...(spec.scopes.length === 0 ? ['scopes must name at least one scope'] : []),
    ...(ownerSchema.safeParse(spec.owner).success ? [] : [`owner ${OWNER_RULE}`]),
    ...(tokenNameSchema.safeParse(spec.name).success
      ? []
      : [`name ${TOKEN_NAME_RULE}, without a service token`]),
  ];
}
