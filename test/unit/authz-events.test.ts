import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { parseAuthorizerEvent, shapeResponse } from '../../shared/authz/events';
import type { Decision } from '../../shared/authz/token-authorizer';
import { tokenRecord } from '../support/tokens';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';
const record = tokenRecord({ tokenId: 'tok_1', expiresAt: '2027-01-01T00:00:00.000Z' });
const allow: Decision = { outcome: 'allow', record, inGrace: false };

describe('parseAuthorizerEvent', () => {
  it('reads a REST TOKEN event', () => {
    expect(
      parseAuthorizerEvent({
        type: 'TOKEN',
        authorizationToken: 'Bearer x',
        methodArn: `${STAGE}/GET/orders`,
      }),
    ).toEqual({ kind: 'rest', authorization: 'Bearer x', stageArn: STAGE });
  });

  it('reads a REST REQUEST event, finding the header in any case', () => {
    expect(
      parseAuthorizerEvent({
        type: 'REQUEST',
        methodArn: `${STAGE}/POST/orders`,
        headers: { AUTHORIZATION: 'Bearer y', Host: 'h' },
      }),
    ).toEqual({ kind: 'rest', authorization: 'Bearer y', stageArn: STAGE });
  });

  it('reads an HTTP API payload 2.0 event', () => {
    expect(
      parseAuthorizerEvent({
        version: '2.0',
        type: 'REQUEST',
        routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/orders',
        routeKey: 'GET /orders',
        headers: { authorization: 'Bearer z' },
      }),
    ).toEqual({ kind: 'http', authorization: 'Bearer z', routeKey: 'GET /orders' });
  });

  it('rejects anything else without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (event) => {
        expect(() => parseAuthorizerEvent(event)).not.toThrow();
      }),
    );
    expect(parseAuthorizerEvent({ type: 'TOKEN', methodArn: 'not-an-arn' })).toBeUndefined();
    expect(parseAuthorizerEvent(null)).toBeUndefined();
  });
});

describe('shapeResponse', () => {
  it('turns unauthorized into a 401 for every event kind', () => {
    const decision: Decision = { outcome: 'unauthorized', reason: 'malformed' };
    expect(shapeResponse(decision, { kind: 'rest', stageArn: STAGE }, EXAMPLE_CATALOG)).toEqual({
      kind: 'unauthorized',
    });
    expect(shapeResponse(decision, { kind: 'http', routeKey: 'GET /me' }, EXAMPLE_CATALOG)).toEqual(
      {
        kind: 'unauthorized',
      },
    );
  });

  it('passes ids and scopes to the backend, never the token or its hash', () => {
    const response = shapeResponse(allow, { kind: 'rest', stageArn: STAGE }, EXAMPLE_CATALOG);
    if (response.kind !== 'policy') throw new Error('expected a policy');
    expect(response.result.principalId).toBe('tok_1');
    expect(response.result.context).toEqual({
      tokenId: 'tok_1',
      owner: 'team-a',
      scopes: 'orders:read',
      inGrace: false,
    });
    expect(JSON.stringify(response)).not.toContain(record.tokenHash);
  });

  it('denies with a policy over the whole stage', () => {
    const deny: Decision = { outcome: 'deny', reason: 'revoked', record };
    const response = shapeResponse(deny, { kind: 'rest', stageArn: STAGE }, EXAMPLE_CATALOG);
    expect(response).toMatchObject({
      kind: 'policy',
      result: {
        principalId: 'tok_1',
        policyDocument: { Statement: [{ Effect: 'Deny', Resource: [`${STAGE}/*`] }] },
      },
    });
  });

  it('answers HTTP API routes one by one (the cache key includes the route)', () => {
    const request = (routeKey: string) => ({ kind: 'http' as const, routeKey });
    expect(shapeResponse(allow, request('GET /orders/{orderId}'), EXAMPLE_CATALOG)).toMatchObject({
      result: { isAuthorized: true, context: { tokenId: 'tok_1' } },
    });
    expect(shapeResponse(allow, request('POST /orders'), EXAMPLE_CATALOG)).toEqual({
      kind: 'simple',
      result: { isAuthorized: false },
    });
    expect(shapeResponse(allow, request('GET /not-in-catalog'), EXAMPLE_CATALOG)).toEqual({
      kind: 'simple',
      result: { isAuthorized: false },
    });
  });
});
