/** How API Gateway picks the resource of a REST API for a request's method and path. */
import type { Route } from '../../shared/authz/routes';

/** A route of the catalog with the values of its `{parameter}` segments. */
export interface MatchedRoute {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/**
 * The catalog route for a concrete path, as API Gateway picks a resource: segment by segment,
 * a literal segment wins over a `{parameter}`.
 */
export function matchRoute(
  catalog: readonly Route[],
  method: string,
  path: string,
): MatchedRoute | undefined {
  // Throws URIError on bad percent-encoding; the caller answers 400.
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  let best: { route: Route; params: Record<string, string>; literals: string } | undefined;
  for (const route of catalog) {
    if (route.method !== method) continue;
    const parts = route.path.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = '';
    const fits = parts.every((part, i) => {
      const value = segments[i] ?? '';
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name === undefined) {
        literals += '1';
        return part === value;
      }
      literals += '0';
      params[name] = value;
      return value !== '';
    });
    if (fits && (best === undefined || literals > best.literals))
      best = { route, params, literals };
  }
  return best === undefined ? undefined : { route: best.route, params: best.params };
}
