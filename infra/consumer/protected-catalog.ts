import { Lazy } from 'aws-cdk-lib';
import {
  catalogConflicts,
  HTTP_METHODS,
  invalidRouteScopes,
  routeSchema,
  type HttpMethod,
  type Route,
} from '../../shared/authz/routes';
import { SCOPE_RULE } from '../../shared/token/scope';

/** What to do instead of ANY or a greedy path: the catalog grants exact routes only. */
const EXACT_ROUTES_ONLY =
  'ANY and {proxy+} are not supported: declare each method and path with its scopes, so that a token’s scopes map to exact routes';

function isHttpMethod(method: string): method is HttpMethod {
  return HTTP_METHODS.some((known) => known === method);
}

/**
 * The route → scope catalog of one consumer API, built from its protected methods as they are
 * declared. Each addition is checked at once, so a bad route fails the synth at the line that
 * declared it: exact methods and paths only, scopes in the scope grammar, no route whose
 * policy would leak to another (catalogConflicts).
 */
export class ProtectedCatalog {
  private readonly entries: Route[] = [];

  /** @param owner names the construct in every refusal, e.g. `Orders/Authorizer`. */
  constructor(private readonly owner: string) {}

  /** The routes declared so far, in declaration order. */
  get routes(): readonly Route[] {
    return this.entries;
  }

  /** Check `method path` with `scopes` against the grammar and the catalog so far, and add it. */
  add(method: string, path: string, scopes: readonly string[]): Route {
    const route = this.exactRoute(method.toUpperCase(), path, scopes);
    const invalid = invalidRouteScopes([route]);
    if (invalid.length > 0) {
      this.refuse(`names invalid scopes: ${invalid.join('; ')}; a scope ${SCOPE_RULE}`);
    }
    const conflicts = catalogConflicts([...this.entries, route]);
    if (conflicts.length > 0) {
      this.refuse(
        `the route catalog would be ambiguous: ${conflicts.join('; ')}; give these routes the same scopes, or paths that cannot match each other`,
      );
    }
    this.entries.push(route);
    return route;
  }

  /**
   * The catalog as the authorizer's ROUTE_SCOPES, rendered at synth so that routes declared
   * after the function still reach it.
   */
  toEnvironment(): string {
    return Lazy.string({ produce: () => JSON.stringify(this.entries) });
  }

  /**
   * Problems to report at synth (a construct's validation): an empty catalog, which the
   * function's routeCatalogSchema would refuse at cold start.
   */
  validate(): string[] {
    return this.entries.length === 0
      ? [`${this.owner} protects no route: declare at least one with protect()`]
      : [];
  }

  private exactRoute(method: string, path: string, scopes: readonly string[]): Route {
    const key = `${method} ${path}`;
    if (method === 'ANY' || path.includes('+}')) this.refuse(`${key}: ${EXACT_ROUTES_ONLY}`);
    if (!isHttpMethod(method)) {
      this.refuse(`${key}: the method must be one of ${HTTP_METHODS.join(', ')}`);
    }
    if (!routeSchema.shape.path.safeParse(path).success) {
      this.refuse(
        `${key}: the path must be /-separated literal segments or {name} parameters, e.g. /orders/{orderId}`,
      );
    }
    return { method, path, scopes: [...scopes] };
  }

  private refuse(problem: string): never {
    throw new Error(`${this.owner}: ${problem}`);
  }
}
