/**
 * Which scopes grant which API routes. The catalog is declared once, in the CDK app
 * (infra/routes.ts): the stack builds the API's methods from it and hands the same list to the
 * authorizer (ROUTE_SCOPES), so the API and the policies can never disagree.
 */
import * as z from 'zod/mini';

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
  scopes: z.array(z.string().check(z.minLength(1))),
});

export type Route = z.infer<typeof routeSchema>;

export const routeCatalogSchema = z.array(routeSchema).check(z.minLength(1));

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

/** `GET /tokens/{id}`: the HTTP API route key of a route. */
export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}
