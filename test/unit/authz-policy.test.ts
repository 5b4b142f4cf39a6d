/**
 * Policies must allow exactly the routes a token's scopes grant, because API Gateway caches one
 * policy per token for every method. The oracle here is independent of the code under test:
 * a small model of API Gateway routing (literal segments beat parameters) and of IAM's
 * evaluation of execute-api ARNs (`*` spans any characters, including `/`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { allowPolicy, apiStageArn, denyPolicy } from '../../shared/authz/policy';
import {
  ADMIN_SCOPE,
  catalogConflicts,
  isGranted,
  routeCatalogSchema,
  type HttpMethod,
  type Route,
} from '../../shared/authz/routes';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';

function iamAllows(policy: ReturnType<typeof allowPolicy>, arn: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`).test(
      arn,
    );
  const statements = policy.policyDocument.Statement;
  const hit = (effect: 'Allow' | 'Deny') =>
    statements.some((s) => s.Effect === effect && s.Resource.some(matches));
  return !hit('Deny') && hit('Allow');
}

/** API Gateway's choice of route for a concrete path: per segment, a literal beats a parameter. */
function resolve(routes: readonly Route[], method: HttpMethod, path: string): Route | undefined {
  const segments = path.split('/').slice(1);
  const candidates = routes.filter((r) => {
    const parts = r.path.split('/').slice(1);
    return (
      r.method === method &&
      parts.length === segments.length &&
      parts.every((p, i) => p.startsWith('{') || p === segments[i])
    );
  });
  const literalness = (r: Route) =>
    r.path
      .split('/')
      .slice(1)
      .map((p) => (p.startsWith('{') ? '0' : '1'))
      .join('');
  return candidates.sort((a, b) => literalness(b).localeCompare(literalness(a)))[0];
}

const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);

/** A concrete request for a route, its parameters filled with random or literal-like values. */
function concretePath(route: Route, values: readonly string[]): string {
  let i = 0;
  return route.path.replace(/\{[^}]+\}/g, () => values[i++ % values.length] ?? 'x');
}

function allScopes(routes: readonly Route[]): string[] {
  return [...new Set(routes.flatMap((r) => r.scopes))];
}

function checkExactness(routes: readonly Route[], scopes: string[], values: string[]) {
  const policy = allowPolicy(
    STAGE,
    'tok_x',
    routes.filter((r) => isGranted(r, scopes)),
    {},
  );
  const literals = routes.flatMap((r) => r.path.split('/').filter((p) => p && !p.startsWith('{')));
  for (const route of routes) {
    for (const path of [concretePath(route, values), concretePath(route, literals)]) {
      const target = resolve(routes, route.method, path);
      if (target === undefined) continue;
      const expected = isGranted(target, scopes);
      expect(iamAllows(policy, `${STAGE}/${route.method}${path}`), `${route.method} ${path}`).toBe(
        expected,
      );
    }
  }
}

describe('allow policies', () => {
  it('allow a token exactly the default catalog routes its scopes grant', () => {
    const scopes = [...allScopes(EXAMPLE_CATALOG), ADMIN_SCOPE, 'unrelated:scope'];
    fc.assert(
      fc.property(
        fc.subarray(scopes),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        (held, values) => {
          checkExactness(EXAMPLE_CATALOG, held, values);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stay exact for any catalog that passes validation', () => {
    const routeArb = fc.record({
      method: fc.constantFrom<HttpMethod>('GET', 'POST', 'DELETE'),
      path: fc
        .array(fc.oneof(fc.constantFrom('a', 'b', 'items'), fc.constant('{id}')), {
          minLength: 1,
          maxLength: 3,
        })
        .map((parts) => `/${parts.map((p, i) => (p === '{id}' ? `{p${i}}` : p)).join('/')}`),
      scopes: fc.subarray(['s1', 's2', 's3'], { maxLength: 2 }),
    });
    let validCatalogs = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(routeArb, {
          minLength: 1,
          maxLength: 6,
          selector: (r) => `${r.method} ${r.path}`,
        }),
        fc.subarray(['s1', 's2', 's3']),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        (routes, held, values) => {
          if (catalogConflicts(routes).length > 0) return;
          validCatalogs++;
          checkExactness(routes, held, values);
        },
      ),
      { numRuns: 1_000 },
    );
    expect(validCatalogs).toBeGreaterThan(100);
  });

  it('list every granted route, not just the called one', () => {
    const policy = allowPolicy(
      STAGE,
      'tok_x',
      EXAMPLE_CATALOG.filter((r) => isGranted(r, ['orders:read'])),
      {},
    );
    expect(policy.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: [
          `${STAGE}/GET/me`,
          // Any token may ask for its own rotation and use the grant.
          `${STAGE}/POST/tokens/*/rotation-requests`,
          `${STAGE}/POST/tokens/*/rotation-requests/*/execute`,
          `${STAGE}/GET/orders`,
          `${STAGE}/GET/orders/*`,
        ],
      },
    ]);
  });

  it('deny everything when the scopes grant no route', () => {
    expect(allowPolicy(STAGE, 'tok_x', [], { tokenId: 'tok_x' })).toEqual(
      denyPolicy(STAGE, 'tok_x', { tokenId: 'tok_x' }),
    );
  });
});

describe('route catalog validation', () => {
  it('rejects a parameter route whose wildcard would leak a deeper route', () => {
    const routes: Route[] = [
      { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
      { method: 'GET', path: '/orders/{id}/invoices', scopes: ['billing:read'] },
    ];
    expect(catalogConflicts(routes)).toEqual([
      'the policy for GET /orders/{id} [orders:read] would also allow GET /orders/{id}/invoices [billing:read]',
    ]);
    expect(routeCatalogSchema.safeParse(routes).success).toBe(false);
  });

  it('accepts the overlap when the deeper route needs nothing more', () => {
    const routes: Route[] = [
      { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
      { method: 'GET', path: '/orders/{id}/items', scopes: ['orders:read', 'orders:write'] },
    ];
    expect(catalogConflicts(routes)).toEqual([]);
  });

  it('rejects duplicates and malformed paths', () => {
    const dup: Route = { method: 'GET', path: '/me', scopes: [] };
    expect(catalogConflicts([dup, dup])).toEqual(['GET /me is declared twice']);
    for (const path of ['me', '/a//b', '/a/{b', '/a/*']) {
      expect(
        routeCatalogSchema.safeParse([{ method: 'GET', path, scopes: [] }]).success,
        path,
      ).toBe(false);
    }
  });

  it('accepts the default catalog', () => {
    expect(catalogConflicts(EXAMPLE_CATALOG)).toEqual([]);
  });
});

describe('apiStageArn', () => {
  it('takes the API and stage from a method ARN', () => {
    expect(apiStageArn(`${STAGE}/GET/orders/42`)).toBe(STAGE);
    expect(apiStageArn('arn:aws-cn:execute-api:cn-north-1:123456789012:a1/prod/POST/')).toBe(
      'arn:aws-cn:execute-api:cn-north-1:123456789012:a1/prod',
    );
  });

  it('refuses anything else', () => {
    for (const arn of ['', 'arn:aws:lambda:eu-west-1:123456789012:function:x', STAGE]) {
      expect(apiStageArn(arn), arn).toBeUndefined();
    }
  });
});
