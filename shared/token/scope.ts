/**
 * The one scope grammar. Every place a scope enters (API bodies, the route catalog, rotation
 * specs, CDK props) checks it here, and the authorizer refuses stored scopes outside it.
 *
 * A scope is a lowercase word followed by up to three `:`-separated parts, e.g. `admin`,
 * `orders:read`, `billing:invoices:read`. It can never hold whitespace, `,` or any other
 * character outside `[a-z0-9_:-]`, so the space-joined list the authorizer passes to
 * backends (`$context.authorizer.scopes`) splits back into exactly the scopes it was made of.
 */
import * as z from 'zod/mini';

export const SCOPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}(?::[a-z0-9_-]{1,32}){0,3}$/;

export const SCOPE_RULE = 'must look like "orders:read" (lowercase, ":"-separated)';

/** Joins scopes for the authorizer context; the grammar guarantees it never occurs inside one. */
export const SCOPE_SEPARATOR = ' ';

export function isScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

export const scopeSchema = z.string().check(z.regex(SCOPE_PATTERN, SCOPE_RULE));

/** The scopes of `scopes` outside the grammar (empty when all are valid). */
export function invalidScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => !isScope(scope));
}

/** Scopes quoted for an error message, so that a space or an empty scope shows. */
export function quoteScopes(scopes: readonly string[]): string {
  return scopes.map((scope) => JSON.stringify(scope)).join(', ');
}

/** The context form of a scope list; undefined if any scope could be mis-split. */
export function joinScopes(scopes: readonly string[]): string | undefined {
  return invalidScopes(scopes).length === 0 ? scopes.join(SCOPE_SEPARATOR) : undefined;
}

/**
 * The inverse of joinScopes, strictly: `''` is no scopes, and anything but valid scopes
 * separated by single spaces (a stray, doubled or other separator) is undefined, never
 * a best guess.
 */
export function splitScopes(joined: string): string[] | undefined {
  if (joined === '') return [];
  const scopes = joined.split(SCOPE_SEPARATOR);
  return invalidScopes(scopes).length === 0 ? scopes : undefined;
}
