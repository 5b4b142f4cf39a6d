/**
 * The local stack's API Gateway emulation: the answers a client gets must be the deployed
 * API's (route matching, identity source, policy cache, IAM evaluation, gateway responses,
 * proxy events), or the local stack would teach the wrong behaviour.
 */
import { describe, expect, it } from 'vitest';
import { allowPolicy, denyPolicy } from '../../shared/authz/policy';
import type { Route } from '../../shared/authz/routes';
import { authorizationHeaderPattern, GATEWAY_REPLIES } from '../../shared/gateway/contract';
import { proxyEventSchema } from '../../shared/api/http';
import { generateToken } from '../../shared/token/format';
import { LocalGateway } from '../../local/aws/gateway';
import { matchRoute } from '../../local/aws/route-match';
import { policyAllows } from '../../local/aws/token-authorizer';
import type { LambdaHandler } from '../../local/aws/lambda-context';

const STAGE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:local/v1';
const BEARER = `Bearer ${generateToken()}`;
const catalog: Route[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'GET', path: '/tokens/{id}', scopes: ['tokens:read'] },
  { method: 'POST', path: '/tokens/emergency-revoke', scopes: ['admin'] },
  { method: 'POST', path: '/tokens/{id}/rotate', scopes: ['tokens:write'] },
];

const reader = allowPolicy(STAGE_ARN, 'tok_reader', catalog.slice(0, 2), {
  tokenId: 'tok_reader',
  owner: 'team-a',
  scopes: 'orders:read',
  inGrace: false,
});

function rig(authorize: (event: unknown) => Promise<unknown>, cacheTtlMs = 300_000) {
  const calls: unknown[] = [];
  const proxied: unknown[] = [];
  let now = 1_000_000;
  const integration: LambdaHandler = (event) => {
    proxied.push(event);
    return Promise.resolve({
      statusCode: 201,
      headers: { 'x-from': 'lambda' },
      body: '{"ok":true}',
    });
  };
  const gateway = new LocalGateway({
    catalog,
    authorizer: (event) => {
      calls.push(event);
      return authorize(event);
    },
    integrations: new Map([
      ['GET /tokens/{id}', integration],
      ['POST /tokens/{id}/rotate', integration],
    ]),
    identityValidation: new RegExp(authorizationHeaderPattern('sk_')),
    cacheTtlMs,
    restApiId: 'local',
    stage: 'v1',
    now: () => now,
  });
  const get = (url: string, authorization: string | null = BEARER, method = 'GET', body?: string) =>
    gateway.handle({
      method,
      url,
      headers: authorization === null ? {} : { Authorization: authorization },
      body,
    });
  return { gateway, calls, proxied, get, advance: (ms: number) => (now += ms) };
}

const allowAll = () => Promise.resolve(reader);

describe('local gateway: routing', () => {
  it('matches concrete paths to catalog routes, a literal segment winning over a parameter', () => {
    expect(matchRoute(catalog, 'POST', '/tokens/emergency-revoke')?.route.path).toBe(
      '/tokens/emergency-revoke',
    );
    expect(matchRoute(catalog, 'POST', '/tokens/tok_1/rotate')).toEqual({
      route: catalog[5],
      params: { id: 'tok_1' },
    });
    expect(matchRoute(catalog, 'GET', '/orders/')).toBeUndefined();
    expect(matchRoute(catalog, 'DELETE', '/orders')).toBeUndefined();
  });

  it('answers 400 for a path that is not valid percent-encoding, and keeps // paths as paths', async () => {
    const { get, calls } = rig(allowAll);
    expect(await get('/orders/%E0%A4%A')).toMatchObject({
      status: 400,
      body: JSON.stringify({ message: GATEWAY_REPLIES.badRequest.message }),
    });
    expect((await get('//evil.example/orders')).status).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it("answers an unknown route with the stack's 404 without calling the authorizer", async () => {
    const { get, calls } = rig(allowAll);
    const reply = await get('/nothing/here');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ message: GATEWAY_REPLIES.noRoute.message });
    expect(calls).toHaveLength(0);
  });

  it('serves GET /health without a token', async () => {
    const { get, calls } = rig(allowAll);
    expect(await get('/health', null)).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect(calls).toHaveLength(0);
  });
});

describe('local gateway: the TOKEN authorizer and its cache', () => {
  it('answers 401 with WWW-Authenticate when the Authorization header is missing, without calling the authorizer', async () => {
    const { get, calls } = rig(allowAll);
    const reply = await get('/orders', null);
    expect(reply.status).toBe(401);
    expect(reply.headers['WWW-Authenticate']).toBe('Bearer');
    expect(calls).toHaveLength(0);
  });

  it('answers 401 without calling the authorizer when the header fails the validation expression', async () => {
    const { get, calls } = rig(allowAll);
    for (const authorization of [
      '',
      'Bearer sk_short',
      `Basic ${generateToken()}`,
      `BEARER ${generateToken()}`,
      generateToken(),
    ]) {
      expect((await get('/orders', authorization)).status).toBe(401);
    }
    expect(calls).toHaveLength(0);
    expect((await get('/orders', `bearer   ${generateToken()}`)).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('sends the header and the method ARN of the request in a TOKEN event', async () => {
    const { get, calls } = rig(allowAll);
    await get('/orders/42?x=1');
    expect(calls).toEqual([
      { type: 'TOKEN', authorizationToken: BEARER, methodArn: `${STAGE_ARN}/GET/orders/42` },
    ]);
  });

  it('reuses a policy for the TTL across routes, evaluating it per route, then asks again', async () => {
    const { get, calls, advance } = rig(allowAll, 300_000);
    expect((await get('/orders')).authorizer).toBe('called');
    expect(await get('/orders/7')).toMatchObject({ status: 200, authorizer: 'cached' });
    expect(await get('/orders', BEARER, 'POST')).toMatchObject({
      status: 403,
      authorizer: 'cached',
    });
    expect(calls).toHaveLength(1);
    advance(300_001);
    expect((await get('/orders')).authorizer).toBe('called');
    expect(calls).toHaveLength(2);
  });

  it('keys the cache by the header: another token is authorized on its own', async () => {
    const { get, calls } = rig(allowAll);
    await get('/orders', `Bearer ${generateToken()}`);
    await get('/orders', `Bearer ${generateToken()}`);
    expect(calls).toHaveLength(2);
  });

  it('caches deny policies too, until flushed', async () => {
    const { get, calls, gateway } = rig(() => Promise.resolve(denyPolicy(STAGE_ARN, 'tok_r')));
    expect((await get('/orders')).status).toBe(403);
    expect((await get('/orders')).authorizer).toBe('cached');
    expect(gateway.flushCache()).toBe(1);
    expect((await get('/orders')).authorizer).toBe('called');
    expect(calls).toHaveLength(2);
  });

  it('turns "Unauthorized" into 401 and any other failure into a retryable 503; neither is cached', async () => {
    const failing = rig(() => Promise.reject(new Error('Unauthorized')));
    expect((await failing.get('/orders')).status).toBe(401);
    const broken = rig(() => Promise.reject(new Error('Authorization unavailable')));
    const reply = await broken.get('/orders');
    expect(reply.status).toBe(503);
    expect(reply.headers['Retry-After']).toBe('1');
    expect(JSON.parse(reply.body)).toEqual({ message: GATEWAY_REPLIES.authorizerFailure.message });
    await failing.get('/orders');
    await broken.get('/orders');
    expect(failing.calls).toHaveLength(2);
    expect(broken.calls).toHaveLength(2);
  });

  it('treats a result that is not a policy as an authorizer failure', async () => {
    const { get } = rig(() => Promise.resolve({ isAuthorized: true }));
    expect((await get('/orders')).status).toBe(503);
  });

  it('does not cache when the TTL is 0', async () => {
    const { get, calls } = rig(allowAll, 0);
    await get('/orders');
    await get('/orders');
    expect(calls).toHaveLength(2);
  });
});

describe('local gateway: policy evaluation', () => {
  const methodArn = `${STAGE_ARN}/GET/orders/9`;
  const statement = (Effect: 'Allow' | 'Deny', Resource: string | string[]) => ({
    Effect,
    Action: 'execute-api:Invoke',
    Resource,
  });
  const policy = (...Statement: ReturnType<typeof statement>[]) => ({
    principalId: 'p',
    policyDocument: { Statement },
  });

  it('allows only what an Allow statement names, with IAM wildcards', () => {
    expect(policyAllows(policy(statement('Allow', `${STAGE_ARN}/GET/orders/*`)), methodArn)).toBe(
      true,
    );
    expect(policyAllows(policy(statement('Allow', `${STAGE_ARN}/GET/orders`)), methodArn)).toBe(
      false,
    );
    expect(policyAllows(policy(), methodArn)).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(
      policyAllows(
        policy(statement('Allow', '*'), statement('Deny', [`${STAGE_ARN}/GET/*`])),
        methodArn,
      ),
    ).toBe(false);
  });
});

describe('local gateway: integrations', () => {
  it("echoes the authorizer context on mock backends, as the stack's mock integrations do", async () => {
    const { get } = rig(allowAll);
    const reply = await get('/orders/42');
    expect(JSON.parse(reply.body)).toEqual({
      route: 'GET /orders/{orderId}',
      tokenId: 'tok_reader',
      owner: 'team-a',
      scopes: 'orders:read',
    });
  });

  it('sends proxy integrations a REST proxy event with path parameters, query and string context', async () => {
    const { get, proxied } = rig(() =>
      Promise.resolve(
        allowPolicy(STAGE_ARN, 'tok_admin', catalog, {
          tokenId: 'tok_admin',
          owner: 'platform',
          scopes: 'admin',
          inGrace: false,
        }),
      ),
    );
    const reply = await get('/tokens/tok_1/rotate?a=1&a=2&b=x', BEARER, 'POST', '{"graceDays":1}');
    expect(reply).toMatchObject({
      status: 201,
      body: '{"ok":true}',
      headers: { 'x-from': 'lambda' },
    });
    expect(proxied).toHaveLength(1);
    // What the management API's router accepts, not just a look-alike.
    expect(proxyEventSchema.safeParse(proxied[0]).success).toBe(true);
    expect(proxied[0]).toMatchObject({
      resource: '/tokens/{id}/rotate',
      path: '/tokens/tok_1/rotate',
      httpMethod: 'POST',
      pathParameters: { id: 'tok_1' },
      queryStringParameters: { a: '2', b: 'x' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x'] },
      body: '{"graceDays":1}',
      requestContext: {
        authorizer: {
          principalId: 'tok_admin',
          tokenId: 'tok_admin',
          owner: 'platform',
          scopes: 'admin',
          inGrace: 'false',
        },
      },
    });
  });

  it('answers 502 when a proxy integration throws, as API Gateway does', async () => {
    const gateway = new LocalGateway({
      catalog,
      authorizer: allowAll,
      integrations: new Map([['GET /orders', () => Promise.reject(new Error('boom'))]]),
      identityValidation: new RegExp(authorizationHeaderPattern('sk_')),
      cacheTtlMs: 0,
      restApiId: 'local',
      stage: 'v1',
    });
    const reply = await gateway.handle({
      method: 'GET',
      url: '/orders',
      headers: { authorization: BEARER },
      body: undefined,
    });
    expect(reply.status).toBe(502);
    expect(reply.body).not.toContain('boom');
  });
});
