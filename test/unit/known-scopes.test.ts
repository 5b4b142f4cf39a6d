/** Which scopes a token may carry: the known ones; an unknown one is refused with a hint. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLATFORM_SCOPES } from '../../shared/api/scope-check';
import {
  editDistance,
  nearestScope,
  unknownScopeRefusal,
  unknownScopes,
} from '../../shared/token/known-scopes';

const word = fc.stringMatching(/^[a-z:]{0,12}$/);

describe('edit distance', () => {
  it.each([
    ['billing:write', 'billing:read', 4],
    ['orders:raed', 'orders:read', 2],
    ['', 'admin', 5],
    ['admin', 'admin', 0],
  ])('%s → %s is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it('is a metric: zero only for equal strings, symmetric, and obeys the triangle inequality', () => {
    fc.assert(
      fc.property(word, word, word, (a, b, c) => {
        expect(editDistance(a, b) === 0).toBe(a === b);
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c));
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
      }),
    );
  });
});

describe('the nearest known scope', () => {
  const known = ['admin', 'billing:read', 'orders:read', 'orders:write', 'tokens:read'];

  it('names billing:read for billing:write (the same resource wins a tie)', () => {
    expect(nearestScope('billing:write', known)).toBe('billing:read');
  });

  it('corrects a typo', () => {
    expect(nearestScope('ordres:write', known)).toBe('orders:write');
  });

  it('is a known scope no farther than any other, and the same whatever the order', () => {
    fc.assert(
      fc.property(word, fc.uniqueArray(word, { minLength: 1, maxLength: 8 }), (scope, scopes) => {
        const nearest = nearestScope(scope, scopes);
        expect(scopes).toContain(nearest);
        const distance = editDistance(scope, nearest ?? '');
        for (const other of scopes) {
          expect(distance).toBeLessThanOrEqual(editDistance(scope, other));
        }
        expect(nearestScope(scope, [...scopes].reverse())).toBe(nearest);
      }),
    );
  });

  it('is the scope itself when it is known', () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1 }), fc.nat(), (scopes, i) => {
        const scope = scopes[i % scopes.length] ?? '';
        expect(nearestScope(scope, scopes)).toBe(scope);
      }),
    );
  });

  it('is undefined when nothing is known', () => {
    expect(nearestScope('orders:read', [])).toBeUndefined();
  });
});

describe('unknown scopes', () => {
  const known = new Set([...PLATFORM_SCOPES, 'billing:read', 'orders:read']);

  it('refuses billing:write, naming the nearest known scope', () => {
    expect(unknownScopeRefusal(['orders:read', 'billing:write'], known, 2)).toBe(
      'unknown scope billing:write: no registered API knows it; nearest known scope: billing:read',
    );
  });

  it('names every unknown scope once, in the order asked', () => {
    expect(unknownScopes(['x:b', 'orders:read', 'x:a', 'x:b'], known)).toEqual(['x:b', 'x:a']);
    expect(unknownScopeRefusal(['x:b', 'x:a'], known, 1)?.split('; unknown')).toHaveLength(2);
  });

  it('says when no API is registered at all', () => {
    expect(unknownScopeRefusal(['orders:read'], PLATFORM_SCOPES, 0)).toMatch(
      /^unknown scope orders:read: no API is registered yet .*; nearest known scope: tokens:read$/,
    );
  });

  it('accepts known scopes, and the platform’s own with an empty registry', () => {
    expect(unknownScopeRefusal(['orders:read', 'admin'], known, 2)).toBeUndefined();
    expect(unknownScopeRefusal([...PLATFORM_SCOPES], PLATFORM_SCOPES, 0)).toBeUndefined();
    expect(unknownScopeRefusal([], PLATFORM_SCOPES, 0)).toBeUndefined();
  });

  it('the platform knows admin and every management scope', () => {
    expect([...PLATFORM_SCOPES].sort()).toEqual(['admin', 'tokens:read', 'tokens:write']);
  });
});
