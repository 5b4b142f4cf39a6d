/**
 * The bundled authorizer (the esbuild output `cdk synth` produces for the stack) invoked with
 * API-Gateway-shaped events against DynamoDB Local. Its SDK talks through a counting proxy, so
 * each decision's table reads are observed on the wire, and throttling can be injected. Its
 * catalog is the platform API's: the management routes (a consumer's catalog, in its own
 * authorizer, is test/integration/consumer-authorizer.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadHandler, type BundledHandler } from '../../local/aws/bundles';
import { localDynamoClient, LOCAL_AWS_ENV } from '../../local/aws/clients';
import { createTables, deleteTables } from '../../local/emulators/tables';
import { openStores } from '../../shared/store';
import { findTokens } from '../../shared/token/format';
import { startDynamoProxy, type DynamoProxy } from '../support/dynamo-proxy';
import { captureOutput } from '../support/capture-output';
import { lambdaContext } from '../../local/aws/lambda-context';
import { DAY_MS, newTestToken } from '../support/tokens';

const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1';
const bundle = inject('bundles')['Validates sk_ service tokens for API Gateway'];
const client = localDynamoClient(inject('dynamoEndpoint'));
const suffix = randomUUID().slice(0, 8);
const tables = { tokens: `authz-tokens-${suffix}`, audit: `authz-audit-${suffix}` };
const stores = openStores({ client, tables });
const admin = { actor: 'test' };
const output = captureOutput({ echo: true });
const issued: string[] = [];

let proxy: DynamoProxy;
let handler: BundledHandler;

beforeAll(async () => {
  if (bundle === undefined) throw new Error('the synthesized stack has no authorizer bundle');
  await createTables(client, tables);
  proxy = await startDynamoProxy(inject('dynamoEndpoint'));
  handler = loadHandler(bundle, {
    ...LOCAL_AWS_ENV,
    TOKENS_TABLE_NAME: tables.tokens,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
});

afterAll(async () => {
  output.restore();
  await proxy.close();
  await deleteTables(client, tables);
  client.destroy();
});

beforeEach(() => {
  proxy.reset();
});

async function issue(overrides: Parameters<typeof newTestToken>[0] = {}) {
  const token = newTestToken({ scopes: ['tokens:read'], ...overrides });
  await stores.tokens.create(token.input, admin);
  issued.push(token.plaintext);
  return token;
}

const restEvent = (header: string | undefined, route = 'GET/tokens') => ({
  type: 'TOKEN',
  ...(header === undefined ? {} : { authorizationToken: header }),
  methodArn: `${STAGE}/${route}`,
});

type Outcome = '401' | 'deny' | 'allow';

async function outcome(event: unknown): Promise<Outcome> {
  try {
    const result = await handler(event, lambdaContext('authorizer'));
    const text = JSON.stringify(result);
    if (text.includes('"Effect":"Allow"')) return 'allow';
    if (text.includes('"Effect":"Deny"')) return 'deny';
    throw new Error(`unexpected result ${text}`);
  } catch (error) {
    if (error instanceof Error && error.message === 'Unauthorized') return '401';
    throw error;
  }
}

const getItems = () => proxy.calls.get('GetItem') ?? 0;

describe('bundled authorizer decisions', () => {
  const now = Date.now();
  it.each<[string, () => Promise<string | undefined>, Outcome, number]>([
    ['no header', () => Promise.resolve(undefined), '401', 0],
    ['empty header', () => Promise.resolve(''), '401', 0],
    ['wrong scheme', async () => `Basic ${(await issue()).plaintext}`, '401', 0],
    ['malformed token', () => Promise.resolve('Bearer sk_definitely_not_a_token'), '401', 0],
    [
      'bad checksum',
      async () => {
        const { plaintext } = await issue();
        return `Bearer ${plaintext.slice(0, -1)}${plaintext.endsWith('A') ? 'B' : 'A'}`;
      },
      '401',
      0,
    ],
    ['unknown hash', () => Promise.resolve(`Bearer ${newTestToken().plaintext}`), 'deny', 1],
    [
      'revoked',
      async () => {
        const token = await issue();
        await stores.tokens.revoke(token.input.tokenHash, admin);
        return `Bearer ${token.plaintext}`;
      },
      'deny',
      1,
    ],
    [
      'expired',
      async () =>
        `Bearer ${(await issue({ createdAt: new Date(now - 10 * DAY_MS), expiresAt: new Date(now - 1000) })).plaintext}`,
      'deny',
      1,
    ],
    [
      'predecessor past its grace deadline',
      async () => {
        const token = await issue();
        await stores.rotations.markRotated(
          token.input.tokenHash,
          { successorId: 'tok_next', graceUntil: new Date(now - 1000) },
          admin,
        );
        return `Bearer ${token.plaintext}`;
      },
      'deny',
      1,
    ],
    ['active', async () => `Bearer ${(await issue()).plaintext}`, 'allow', 1],
    [
      'predecessor within grace',
      async () => {
        const token = await issue();
        await stores.rotations.markRotated(
          token.input.tokenHash,
          { successorId: 'tok_next', graceUntil: new Date(now + DAY_MS) },
          admin,
        );
        return `Bearer ${token.plaintext}`;
      },
      'allow',
      1,
    ],
  ])('%s → %s with %i GetItem', async (_, header, expected, reads) => {
    const value = await header();
    proxy.reset();
    expect(await outcome(restEvent(value))).toBe(expected);
    expect(getItems()).toBe(reads);
  });

  it('lists every route the scopes grant, whichever method was called', async () => {
    const { plaintext } = await issue({ scopes: ['tokens:read'] });
    const result = JSON.stringify(
      await handler(
        restEvent(`Bearer ${plaintext}`, 'DELETE/tokens/tok_1'),
        lambdaContext('authorizer'),
      ),
    );
    for (const route of [
      'GET/me',
      'GET/tokens',
      'GET/tokens/*',
      'GET/tokens/*/usage',
      'GET/apis',
    ]) {
      expect(result).toContain(`${STAGE}/${route}"`);
    }
    for (const route of ['POST/tokens', 'DELETE/tokens/*', 'POST/tokens/*/rotate', 'GET/audit']) {
      expect(result).not.toContain(`${STAGE}/${route}"`);
    }
  });

  it('answers an HTTP API payload 2.0 event per route', async () => {
    const { plaintext, input } = await issue({ scopes: ['tokens:write'] });
    const event = (routeKey: string) => ({
      version: '2.0',
      type: 'REQUEST',
      routeKey,
      routeArn: `${STAGE}/${routeKey.replace(' ', '')}`,
      headers: { authorization: `Bearer ${plaintext}` },
    });
    expect(await handler(event('POST /tokens'), lambdaContext('authorizer'))).toEqual({
      isAuthorized: true,
      context: { tokenId: input.tokenId, owner: 'team-a', scopes: 'tokens:write', inGrace: false },
    });
    expect(await handler(event('GET /tokens'), lambdaContext('authorizer'))).toEqual({
      isAuthorized: false,
    });
  });

  it('records usage at most once per interval, not once per request', async () => {
    const { plaintext, input } = await issue();
    for (let i = 0; i < 20; i++)
      expect(await outcome(restEvent(`Bearer ${plaintext}`))).toBe('allow');
    expect(proxy.calls.get('GetItem')).toBe(20);
    expect(proxy.calls.get('UpdateItem')).toBe(1);
    await expect
      .poll(
        async () =>
          (await stores.tokens.getByHash(input.tokenHash, { consistent: true }))?.useCount,
      )
      .toBe(1);
  });

  it('fails closed when DynamoDB throttles: an error, never a policy', async () => {
    const { plaintext } = await issue();
    proxy.throttle = true;
    await expect(
      handler(restEvent(`Bearer ${plaintext}`), lambdaContext('authorizer')),
    ).rejects.toThrow('Authorization unavailable');
    expect(getItems()).toBe(2); // one retry, then fail fast
    proxy.throttle = false;
    expect(await outcome(restEvent(`Bearer ${plaintext}`))).toBe('allow');
  });

  it('never logged a token (checked over every line this file produced)', () => {
    const logs = output.text();
    expect(logs).toContain('"service":"token-authorizer"');
    expect(findTokens(logs)).toEqual([]);
    for (const token of issued) expect(logs).not.toContain(token.slice(3, 30));
  });
});
