/**
 * The bundled consumer authorizers (the esbuild output `cdk synth` produces for a consumer
 * stack, with that stack's ROUTE_SCOPES) against DynamoDB Local: a token is allowed exactly on
 * the consumer catalog's routes its scopes grant, with REST TOKEN and HTTP API 2.0 events; and
 * behind an HTTP API's authorizer cache keyed by its identity sources, an answer serves only
 * the route it was given for.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { loadHandler, synthesizeBundles, type BundledHandler } from '../../local/aws/bundles';
import { localDynamoClient, LOCAL_AWS_ENV } from '../../local/aws/clients';
import { HttpAuthorizerCache, type HttpApiRequest } from '../../local/aws/http-authorizer-cache';
import { lambdaContext } from '../../local/aws/lambda-context';
import { HTTP_IDENTITY_SOURCES } from '../../infra/consumer';
import { createTables, deleteTables } from '../../local/emulators/tables';
import { isGranted, routeKey, wildcardMatches, type Route } from '../../shared/authz/routes';
import { openStores } from '../../shared/store';
import { CONSUMER_CATALOG, consumerApp } from '../infra/fixtures/consumer-app';
import { captureOutput } from '../support/capture-output';
import { newTestToken } from '../support/tokens';

const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:orders1/prod';
const SCOPES = ['orders:read', 'orders:write', 'orders:admin', 'admin', 'tokens:read'];
/** A route of the platform's own API, not of this consumer's: never allowed here. */
const FOREIGN: Route = { method: 'GET', path: '/me', scopes: [] };

const policySchema = z.object({
  policyDocument: z.object({
    Statement: z.array(
      z.object({ Effect: z.string(), Resource: z.union([z.string(), z.array(z.string())]) }),
    ),
  }),
});
const simpleSchema = z.object({ isAuthorized: z.boolean() });

const client = localDynamoClient(inject('dynamoEndpoint'));
const suffix = randomUUID().slice(0, 8);
const tables = { tokens: `consumer-tokens-${suffix}`, audit: `consumer-audit-${suffix}` };
const stores = openStores({ client, tables });
const output = captureOutput({ echo: false });

let rest: BundledHandler;
let http: BundledHandler;

beforeAll(async () => {
  await createTables(client, tables);
  const bundles = synthesizeBundles((app) => consumerApp(app).consumer);
  const load = (description: string) => {
    const bundle = bundles[description];
    if (bundle === undefined) throw new Error(`the consumer stack has no "${description}"`);
    expect(bundle.environment['ROUTE_SCOPES']).toBe(JSON.stringify(CONSUMER_CATALOG));
    return loadHandler(bundle, {
      ...LOCAL_AWS_ENV,
      TOKENS_TABLE_NAME: tables.tokens,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    });
  };
  rest = load('Validates sk_ service tokens for a consumer REST API');
  http = load('Validates sk_ service tokens for a consumer HTTP API');
}, 120_000);

afterAll(async () => {
  output.restore();
  await deleteTables(client, tables);
  client.destroy();
});

async function issue(scopes: string[]): Promise<string> {
  const token = newTestToken({ scopes });
  await stores.tokens.create(token.input, { actor: 'test' });
  return token.plaintext;
}

/** A concrete request path of a route: each parameter takes a value. */
const requestPath = (route: Route) => route.path.replace(/\{[^}]+\}/g, 'o-1');

/** Whether a REST TOKEN answer's policy allows `route`, as API Gateway would evaluate it. */
async function restAllows(token: string, route: Route): Promise<boolean> {
  const event = {
    type: 'TOKEN',
    authorizationToken: `Bearer ${token}`,
    methodArn: `${STAGE}/${route.method}${requestPath(route)}`,
  };
  const policy = policySchema.parse(await rest(event, lambdaContext('authorizer')));
  return policy.policyDocument.Statement.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      [statement.Resource].flat().some((resource) => wildcardMatches(resource, event.methodArn)),
  );
}

async function httpAllows(token: string, route: Route): Promise<boolean> {
  const event = {
    version: '2.0',
    type: 'REQUEST',
    routeKey: routeKey(route),
    routeArn: `${STAGE}/${route.method}${requestPath(route)}`,
    headers: { authorization: `Bearer ${token}` },
    requestContext: { requestId: randomUUID() },
  };
  return simpleSchema.parse(await http(event, lambdaContext('authorizer'))).isAuthorized;
}

describe('bundled consumer authorizers', () => {
  it.each([
    ['REST TOKEN', () => restAllows],
    ['HTTP API 2.0', () => httpAllows],
  ] as const)(
    '%s: a token is allowed exactly on the consumer routes its scopes grant',
    async (_, allowsOf) => {
      const allows = allowsOf();
      await fc.assert(
        fc.asyncProperty(fc.subarray(SCOPES), async (held) => {
          const token = await issue(held);
          for (const route of CONSUMER_CATALOG) {
            expect(await allows(token, route), `${routeKey(route)} with [${held.join(' ')}]`).toBe(
              isGranted(route, held),
            );
          }
          expect(await allows(token, FOREIGN)).toBe(false);
        }),
        { numRuns: 15 },
      );
    },
  );
});

describe('an HTTP API answer is cached only for its own route (identity sources: header and route key)', () => {
  const cacheWith = (identitySources: readonly string[]) =>
    new HttpAuthorizerCache({
      authorizer: (event, context) => http(event, context),
      identitySources,
      ttlMs: 300_000,
      stageArn: STAGE,
    });
  const request = (token: string, routeKey: string, path: string): HttpApiRequest => {
    const [method = 'GET'] = routeKey.split(' ');
    return { routeKey, method, path, headers: { Authorization: `Bearer ${token}` } };
  };
  const list = (token: string) => request(token, 'GET /orders', '/orders');
  const remove = (token: string) => request(token, 'DELETE /orders/{orderId}', '/orders/o-1');
  const answer = (isAuthorized: boolean, cached: boolean) => ({
    kind: 'answer',
    isAuthorized,
    cached,
  });

  it('a reader allowed on GET /orders and refused on DELETE /orders/{orderId} gets each answer for its own route, cached apart', async () => {
    expect(HTTP_IDENTITY_SOURCES).toEqual(['$request.header.Authorization', '$context.routeKey']);
    const reader = await issue(['orders:read']);
    const cache = cacheWith(HTTP_IDENTITY_SOURCES);
    expect(await cache.authorize(list(reader))).toEqual(answer(true, false));
    // Not the cached Allow of GET /orders: the route key is part of the cache key.
    expect(await cache.authorize(remove(reader))).toEqual(answer(false, false));
    expect(await cache.authorize(list(reader))).toEqual(answer(true, true));
    expect(await cache.authorize(remove(reader))).toEqual(answer(false, true));
    expect(
      await cache.authorize(request(reader, 'DELETE /orders/{orderId}', '/orders/o-2')),
    ).toEqual(answer(false, true));
    expect(cache.invocations).toBe(2);
  });

  it('a refusal cached first for one route does not refuse the token on another', async () => {
    const reader = await issue(['orders:read']);
    const cache = cacheWith(HTTP_IDENTITY_SOURCES);
    expect(await cache.authorize(remove(reader))).toEqual(answer(false, false));
    expect(await cache.authorize(list(reader))).toEqual(answer(true, false));
  });

  it('each token has answers of its own on the same route', async () => {
    const reader = await issue(['orders:read']);
    const admin = await issue(['orders:admin']);
    const cache = cacheWith(HTTP_IDENTITY_SOURCES);
    expect(await cache.authorize(remove(reader))).toEqual(answer(false, false));
    expect(await cache.authorize(remove(admin))).toEqual(answer(true, false));
  });

  it('keyed by the header alone, the GET answer would be served for DELETE: why the route key is an identity source', async () => {
    const reader = await issue(['orders:read']);
    const cache = cacheWith(['$request.header.Authorization']);
    expect(await cache.authorize(list(reader))).toEqual(answer(true, false));
    expect(await cache.authorize(remove(reader))).toEqual(answer(true, true));
  });

  it('answers 401 without calling the authorizer when an identity source is missing', async () => {
    const cache = cacheWith(HTTP_IDENTITY_SOURCES);
    expect(
      await cache.authorize({
        routeKey: 'GET /orders',
        method: 'GET',
        path: '/orders',
        headers: {},
      }),
    ).toEqual({ kind: 'unauthorized' });
    expect(cache.invocations).toBe(0);
  });
});
