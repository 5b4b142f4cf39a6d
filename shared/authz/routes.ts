/**
 * Which scopes grant which API routes. The catalog is declared once, in the CDK app
 * (infra/routes.ts): the stack builds the API's methods from it and hands the same list to the
 * authorizer (ROUTE_SCOPES), so the API and the policies can never disagree.
 */
import * as z from 'zod/mini';
import { invalidScopes, quoteScopes, scopeSchema } from '../token/scope';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The scope that grants every route. */
export const ADMIN_SCOPE = 'admin';

export const routeSchema = z.object({
  method: z.enum(HTTP_METHODS),
  /** API Gateway resource path, e.g. `/tokens/{id}/usage`. */
  path: z
    .string()
    .check(
      z.regex(
        /^\/(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\})?(?:\/(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9_]+\}))*$/,
      ),
    ),
  /** Any one of these grants the route; an empty list means any valid token. */
  scopes: z.array(scopeSchema),
});

export type Route = z.infer<typeof routeSchema>;

export const routeCatalogSchema = z.array(routeSchema).check(
  z.minLength(1),
  z.superRefine((routes, ctx) => {
    for (const message of catalogConflicts(routes)) {
      ctx.issues.push({ code: 'custom', message, input: routes });
    }
  }),
);

/**
 * Routes naming scopes outside the scope grammar, each as `GET /orders: "bad scope"`. No
 * token can hold such a scope, and the CDK app refuses them at synth with this message.
 */
export function invalidRouteScopes(routes: readonly Route[]): string[] {
  return routes.flatMap((route) => {
    const invalid = invalidScopes(route.scopes);
    return invalid.length === 0 ? [] : [`${routeKey(route)}: ${quoteScopes(invalid)}`];
  });
}

export function isGranted(route: Route, scopes: readonly string[]): boolean {
  return (
    route.scopes.length === 0 ||
    scopes.includes(ADMIN_SCOPE) ||
    route.scopes.some((scope) => scopes.includes(scope))
  );
}

export function grantedRoutes(routes: readonly Route[], scopes: readonly string[]): Route[] {
  return routes.filter((route) => isGranted(route, scopes));
}

/** The execute-api resource path of a route: `GET/tokens/*` (path parameters become `*`). */
export function resourcePattern(route: Route): string {
  return `${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`;
}

/** IAM wildcard matching: `*` is any run of characters (including `/`), `?` any one. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

/** True when every token granted `a` is also granted `b`. */
function grantImplies(a: Route, b: Route): boolean {
  if (b.scopes.length === 0) return true;
  return a.scopes.length > 0 && a.scopes.every((scope) => b.scopes.includes(scope));
}

/**
 * Concrete paths of `route` that can matter to `pattern`: each parameter takes every literal
 * segment of the pattern, or a value that equals none ('~' cannot appear in a literal). IAM's
 * `*` only ever lines up with whole segments here, so these samples decide any match.
 */
function samplePaths(route: Route, pattern: string): string[] {
  const values = [
    '~',
    ...new Set(
      pattern
        .split('/')
        .slice(1)
        .filter((p) => p !== '*'),
    ),
  ];
  let paths = [''];
  for (const part of route.path.split('/').slice(1)) {
    const options = part.startsWith('{') ? values : [part];
    paths = paths.flatMap((prefix) => options.map((value) => `${prefix}/${value}`));
  }
  return paths;
}

/**
 * Routes whose policy resource would also cover requests to another route that needs other
 * scopes. IAM's `*` spans `/`, so `GET/orders/*` (from `/orders/{id}`) also matches
 * `/orders/{id}/items` and `/orders/special`; an Allow for the first would leak the others.
 * Such catalogs are rejected (at synth and at cold start) rather than producing over-broad
 * policies.
 */
export function catalogConflicts(routes: readonly Route[]): string[] {
  const conflicts: string[] = [];
  const describe = (r: Route) =>
    `${routeKey(r)} [${r.scopes.length === 0 ? 'any token' : r.scopes.join(', ')}]`;
  routes.forEach((a, i) => {
    routes.forEach((b, j) => {
      if (i === j || a.method !== b.method) return;
      if (a.path === b.path) {
        if (i < j) conflicts.push(`${routeKey(a)} is declared twice`);
        return;
      }
      const pattern = resourcePattern(a);
      const leaks = samplePaths(b, pattern).some((path) =>
        wildcardMatches(pattern, `${b.method}${path}`),
      );
      if (leaks && !grantImplies(a, b)) {
        conflicts.push(`the policy for ${describe(a)} would also allow ${describe(b)}`);
      }
    });
  });
  return conflicts;
}

/** `GET /tokens/{id}`: the HTTP API route key of a route. */
export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}
