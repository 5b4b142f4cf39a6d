/**
 * Who the management API thinks is calling: the authorizer's context, read back by callerOf.
 * The scopes travel space-joined, so a scope that itself holds a space (or a context with a
 * stray separator) must never be re-split into `admin` (issue 18, item 6).
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { callerOf, proxyEventSchema } from '../../shared/api/http';
import { shapeResponse } from '../../shared/authz/events';
import { TokenAuthorizer } from '../../shared/authz/token-authorizer';
import { generateToken, hashToken } from '../../shared/token/format';
import { tokenRecord } from '../support/tokens';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';

/** The management Lambda's event for a given authorizer context `scopes` value. */
function eventWithScopes(scopes: string) {
  return proxyEventSchema.parse({
    httpMethod: 'GET',
    resource: '/me',
    requestContext: {
      requestId: 'req-1',
      authorizer: { tokenId: 'tok_1', owner: 'team-a', scopes },
    },
  });
}

describe('callerOf', () => {
  it('reads space-separated scopes back exactly', () => {
    expect(callerOf(eventWithScopes('orders:read tokens:write'))).toEqual({
      tokenId: 'tok_1',
      owner: 'team-a',
      scopes: ['orders:read', 'tokens:write'],
      requestId: 'req-1',
    });
    expect(callerOf(eventWithScopes('admin'))?.scopes).toEqual(['admin']);
    expect(callerOf(eventWithScopes(''))?.scopes).toEqual([]);
  });

  it.each([
    ['a leading space', ' admin'],
    ['a trailing space', 'orders:read admin '],
    ['a double space', 'orders:read  admin'],
    ['a tab', 'orders:read\tadmin'],
    ['a newline', 'orders:read\nadmin'],
    ['a comma list', 'orders:read,admin'],
    ['an upper-case scope', 'ADMIN'],
  ])('refuses a context with %s instead of interpreting it', (_, scopes) => {
    expect(callerOf(eventWithScopes(scopes))).toBeUndefined();
  });
});

describe('a stored scope with a space (a legacy or tampered item)', () => {
  it('never reaches the management API as admin', async () => {
    const token = generateToken();
    const record = tokenRecord({ tokenHash: hashToken(token), scopes: ['orders:read admin'] });
    const authorizer = new TokenAuthorizer({
      lookup: (hash) => Promise.resolve(hash === record.tokenHash ? record : undefined),
      now: () => new Date('2026-06-01T12:00:00.000Z'),
    });

    const decision = await authorizer.decide(`Bearer ${token}`);
    const response = shapeResponse(decision, { kind: 'rest', stageArn: STAGE }, EXAMPLE_CATALOG);

    expect(decision).toMatchObject({ outcome: 'deny', reason: 'invalid-scope' });
    if (response.kind !== 'policy') throw new Error('expected a policy');
    expect(response.result.policyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny' }),
    ]);
    const scopes = response.result.context?.['scopes'];
    const caller = typeof scopes === 'string' ? callerOf(eventWithScopes(scopes)) : undefined;
    expect(caller?.scopes ?? []).not.toContain('admin');
  });
});
