/**
 * One scope grammar, everywhere (issue 18, item 6): every place a scope enters or leaves
 * accepts a string exactly when it matches SCOPE_PATTERN, and the authorizer context's
 * space-joined scopes read back through callerOf as exactly the list that was joined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { callerOf, proxyEventSchema } from '../../shared/api/http';
import { createBootstrapBody, createTokenBody, exchangeBody } from '../../shared/api/schemas';
import { shapeResponse } from '../../shared/authz/events';
import { ADMIN_SCOPE, invalidRouteScopes, routeSchema } from '../../shared/authz/routes';
import { assertIssuable, specCatalogSchema } from '../../shared/rotation/secret-value';
import {
  invalidScopes,
  isScope,
  joinScopes,
  SCOPE_PATTERN,
  scopeSchema,
  splitScopes,
} from '../../shared/token/scope';
import { evaluateRecord } from '../../shared/token/verify';
import { tokenRecord } from '../support/tokens';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf';

const validScope = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/),
    fc.array(fc.stringMatching(/^[a-z0-9_-]{1,32}$/), { maxLength: 3 }),
  )
  .map(([head, parts]) => [head, ...parts].join(':'));

/** Characters that separate, disguise or pad a scope. */
const intruder = fc.constantFrom(' ', '  ', '\t', '\n', '\r', ',', ';', '"', '\u00a0', 'A', '.');

/** A valid scope with one intruder somewhere in it, or broken at its edges. */
const nearMiss = fc.oneof(
  fc.tuple(validScope, intruder, fc.nat()).map(([scope, char, at]) => {
    const i = at % (scope.length + 1);
    return scope.slice(0, i) + char + scope.slice(i);
  }),
  validScope.map((s) => `${s} admin`),
  validScope.map((s) => `:${s}`),
  validScope.map((s) => `${s}:`),
  validScope.map((s) => `${s}:a:b:c:d`),
  fc.constantFrom('', 'ADMIN', 'Admin', 'a'.repeat(33), `a:${'b'.repeat(33)}`, '1admin', '_a'),
);

const candidate = fc.oneof(validScope, nearMiss, fc.string(), fc.string({ unit: 'grapheme' }));

function accepts(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

function allowDecision(scopes: string[]) {
  return { outcome: 'allow' as const, record: tokenRecord({ scopes }), inGrace: false };
}

/** Every way a scope enters the system, or reaches a backend, as "is this scope accepted?". */
const ENTRY_POINTS: Record<string, (scope: string) => boolean> = {
  'POST /tokens body': (scope) =>
    createTokenBody.safeParse({ name: 'ci', scopes: [scope] }).success,
  'POST /tokens/bootstrap body': (scope) =>
    createBootstrapBody.safeParse({ name: 'ci', owner: 'team-a', scopes: [scope] }).success,
  'POST /tokens/exchange body': (scope) => exchangeBody.safeParse({ scopes: [scope] }).success,
  'rotation spec (TOKEN_SPECS)': (scope) =>
    specCatalogSchema.safeParse([
      { secretArn: SECRET, name: 'orders', owner: 'team-a', scopes: [scope] },
    ]).success,
  'rotator, before any step': (scope) =>
    accepts(() => {
      assertIssuable(SECRET, {
        name: 'orders',
        owner: 'team-a',
        scopes: [scope],
        lifetimeDays: 90,
      });
    }),
  'route catalog (ROUTE_SCOPES)': (scope) =>
    routeSchema.safeParse({ method: 'GET', path: '/orders', scopes: [scope] }).success,
  'route catalog at synth (TokenApi)': (scope) =>
    invalidRouteScopes([{ method: 'GET', path: '/orders', scopes: [scope] }]).length === 0,
  'rotated token at synth (RotatedServiceToken)': (scope) => invalidScopes([scope]).length === 0,
  'authorizer decision': (scope) => evaluateRecord(tokenRecord({ scopes: [scope] }), NOW).allowed,
  'authorizer context': (scope) => {
    const response = shapeResponse(
      allowDecision([scope]),
      { kind: 'rest', stageArn: STAGE },
      EXAMPLE_CATALOG,
    );
    return response.kind === 'policy' && response.result.context !== undefined;
  },
  'authorizer context (HTTP API)': (scope) => {
    const response = shapeResponse(
      allowDecision([scope]),
      { kind: 'http', routeKey: 'GET /me' },
      EXAMPLE_CATALOG,
    );
    return response.kind === 'simple' && response.result.context !== undefined;
  },
};

function callerScopes(scopes: string): readonly string[] | undefined {
  const event = proxyEventSchema.parse({
    httpMethod: 'GET',
    resource: '/me',
    requestContext: { requestId: 'r', authorizer: { tokenId: 'tok_1', owner: 'team-a', scopes } },
  });
  return callerOf(event)?.scopes;
}

describe('the scope grammar', () => {
  it('admits every scope in use and no separator the platform passes scopes with', () => {
    const inUse = [ADMIN_SCOPE, ...EXAMPLE_CATALOG.flatMap((r) => r.scopes), 'billing:read'];
    expect(inUse.filter((s) => !isScope(s))).toEqual([]);
    fc.assert(
      fc.property(validScope, (scope) => {
        expect(scope).toMatch(SCOPE_PATTERN);
        expect(scope).not.toMatch(/[\s,;"]/);
      }),
    );
  });

  it('is what isScope and the zod schema say, for any string', () => {
    fc.assert(
      fc.property(candidate, (scope) => {
        const matches = SCOPE_PATTERN.test(scope);
        expect(isScope(scope)).toBe(matches);
        expect(scopeSchema.safeParse(scope).success).toBe(matches);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each(Object.keys(ENTRY_POINTS))('decides %s exactly by the grammar', (name) => {
    const acceptsScope = ENTRY_POINTS[name];
    if (acceptsScope === undefined) throw new Error(`no entry point ${name}`);
    fc.assert(
      fc.property(candidate, (scope) => {
        expect(acceptsScope(scope), JSON.stringify(scope)).toBe(SCOPE_PATTERN.test(scope));
      }),
      { numRuns: 500 },
    );
  });
});

describe('scopes in the authorizer context', () => {
  it('are built only from valid scopes, and read back as exactly those scopes', () => {
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 6 }), (scopes) => {
        const response = shapeResponse(
          allowDecision(scopes),
          { kind: 'rest', stageArn: STAGE },
          EXAMPLE_CATALOG,
        );
        if (response.kind !== 'policy') throw new Error('expected a policy');
        const context = response.result.context;
        const valid = scopes.every(isScope);
        expect(context !== undefined).toBe(valid);
        if (context === undefined) return;
        const joined = context['scopes'];
        expect(typeof joined === 'string' ? callerScopes(joined) : undefined).toEqual(scopes);
      }),
      { numRuns: 1_000 },
    );
  });

  it('round-trip: any list of valid scopes, joined, gives back exactly that list', () => {
    fc.assert(
      fc.property(fc.array(validScope, { maxLength: 20 }), (scopes) => {
        const joined = joinScopes(scopes);
        expect(joined).toBe(scopes.join(' '));
        expect(callerScopes(scopes.join(' '))).toEqual(scopes);
      }),
    );
  });

  it('refuse any context with a part outside the grammar, whatever else it holds', () => {
    // A part is what lies between single spaces; an "invalid scope" holding a space is not
    // one part, which is why the grammar must exclude spaces at every entry point.
    const invalidPart = candidate.filter((s) => !isScope(s) && !s.includes(' '));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(validScope, fc.constant(ADMIN_SCOPE)), { maxLength: 5 }),
        invalidPart,
        fc.nat(),
        (scopes, bad, at) => {
          const parts = [...scopes];
          parts.splice(at % (parts.length + 1), 0, bad);
          fc.pre(parts.join(' ') !== ''); // an empty part alone is the empty list, which is valid
          expect(callerScopes(parts.join(' '))).toBeUndefined();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('never read into admin: any context callerOf accepts re-joins to the very same string', () => {
    const contexts = fc.oneof(
      candidate,
      fc.array(fc.oneof(validScope, fc.constant(ADMIN_SCOPE), nearMiss)).map((p) => p.join(' ')),
      fc.array(fc.oneof(validScope, fc.constant(ADMIN_SCOPE), intruder)).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(contexts, (context) => {
        const scopes = callerScopes(context);
        expect(scopes).toEqual(splitScopes(context));
        if (scopes === undefined) return;
        expect(scopes.join(' ')).toBe(context);
        expect(scopes.every(isScope)).toBe(true);
        if (scopes.includes(ADMIN_SCOPE)) expect(context.split(' ')).toContain(ADMIN_SCOPE);
      }),
      { numRuns: 2_000 },
    );
  });
});
