/**
 * Which scopes a token may carry: only scopes that something enforces. A scope no route of
 * any protected API names (a typo such as `billing:wrte`, or an API that was never
 * registered) would be accepted silently and grant nothing, so the platform refuses it and
 * names the nearest scope it knows, the likely intent.
 *
 * The scope grammar (./scope.ts) has no wildcards: a scope is known exactly or not at all.
 */

/** Levenshtein distance: insertions, deletions and substitutions of one character each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known scope closest to `scope` by edit distance; on a tie, the one sharing more leading
 * `:`-separated parts with it (same resource first), then the alphabetically first, so the
 * answer is stable.
 */
export function nearestScope(scope: string, known: Iterable<string>): string | undefined {
  let best: { scope: string; distance: number; shared: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(scope, candidate);
    const shared = sharedParts(scope, candidate);
    if (
      best === undefined ||
      distance < best.distance ||
      (distance === best.distance && shared > best.shared) ||
      (distance === best.distance && shared === best.shared && candidate < best.scope)
    ) {
      best = { scope: candidate, distance, shared };
    }
  }
  return best?.scope;
}

function sharedParts(a: string, b: string): number {
  const left = a.split(':');
  const right = b.split(':');
  let shared = 0;
  while (shared < left.length && left[shared] === right[shared]) shared++;
  return shared;
}

/** The scopes of `scopes` that `known` does not hold, each once, in their order. */
export function unknownScopes(scopes: readonly string[], known: ReadonlySet<string>): string[] {
  return [...new Set(scopes.filter((scope) => !known.has(scope)))];
}

/**
 * Why `scopes` cannot be issued, or undefined when every scope is known: one clause per
 * unknown scope, e.g. "unknown scope billing:write: no registered API knows it; nearest
 * known scope: billing:read". `registeredApis` = 0 says so, since then only the platform's
 * own scopes are known.
 */
export function unknownScopeRefusal(
  scopes: readonly string[],
  known: ReadonlySet<string>,
  registeredApis: number,
): string | undefined {
  const unknown = unknownScopes(scopes, known);
  if (unknown.length === 0) return undefined;
  const why =
    registeredApis === 0
      ? 'no API is registered yet (deploy a consumer authorizer with the platform registry first)'
      : 'no registered API knows it';
  return unknown
    .map((scope) => {
      const nearest = nearestScope(scope, known);
      const hint = nearest === undefined ? '' : `; nearest known scope: ${nearest}`;
      return `unknown scope ${scope}: ${why}${hint}`;
    })
    .join('; ');
}
