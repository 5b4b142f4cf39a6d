/**
 * The management API refuses free text holding a token, in any form the finder knows, before
 * anything is written: through the real request path (handleRequest, proxy events) with the
 * DynamoDB client mocked, answering only the re-read of the calling token.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createTokenBody,
  emergencyRevokeBody,
  revokeQuery,
  rotationRequestBody,
} from '../../shared/api/schemas';
import { openApiRegistry, openStores } from '../../shared/store';
import { findTokens, generateToken, holdsToken } from '../../shared/token/format';
import { apiClient, type ApiCall } from '../support/api';
import { tokenRecord } from '../support/tokens';
import {
  around,
  embedded,
  encodeFully,
  nearTokens,
  readable,
  wordsAround,
} from '../support/token-variants';

const documents = mockClient(DynamoDBDocumentClient);
const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const call = apiClient({
  ...openStores({ client, tables: { tokens: 'tokens', audit: 'audit' } }),
  apis: openApiRegistry({ client, tableName: 'apis' }),
});
const admin = { tokenId: 'tok_admin0000000001', owner: 'platform', scopes: ['admin'] };
const TOKEN_ID = 'tok_a000000000000001';
const REQUEST_ID = 'rrq_a000000000000001';

beforeEach(resetMocks);

function resetMocks(): void {
  documents.reset();
  dynamo.reset();
  // Every route re-reads its caller first (by id here: the test sends no Authorization).
  documents.on(QueryCommand).resolves({ Items: [{ tokenHash: 'c'.repeat(64) }] });
  documents.on(GetCommand).resolves({
    Item: tokenRecord({
      ...admin,
      tokenHash: 'c'.repeat(64),
      expiresAt: '2099-01-01T00:00:00.000Z',
    }),
  });
}

/** Nothing but the caller's re-read reached DynamoDB. */
function onlyTheCallerWasRead(): boolean {
  return documents
    .calls()
    .every((c) => c.args[0] instanceof GetCommand || c.args[0] instanceof QueryCommand);
}

/** Where free text goes in: each field as a request carrying `text`. */
const FIELDS: Record<string, (text: string) => [string, string, ApiCall]> = {
  'token name': (text) => ['POST', '/tokens', { body: { name: text, scopes: ['orders:read'] } }],
  'metadata value': (text) => [
    'POST',
    '/tokens',
    { body: { name: 'ci', scopes: ['orders:read'], metadata: { note: text } } },
  ],
  'metadata key': (text) => [
    'POST',
    '/tokens',
    { body: { name: 'ci', scopes: ['orders:read'], metadata: { [text]: 'x' } } },
  ],
  'exchange name': (text) => ['POST', '/tokens/exchange', { body: { name: text } }],
  'revoke reason': (text) => ['DELETE', `/tokens/${TOKEN_ID}`, { query: { reason: text } }],
  'emergency-revoke reason': (text) => [
    'POST',
    '/tokens/emergency-revoke',
    { body: { tokenId: TOKEN_ID, reason: text } },
  ],
  'rotation request reason': (text) => [
    'POST',
    `/tokens/${TOKEN_ID}/rotation-requests`,
    { body: { reason: text } },
  ],
  'approval note': (text) => [
    'POST',
    `/tokens/${TOKEN_ID}/rotation-requests/${REQUEST_ID}/approve`,
    { body: { note: text } },
  ],
  'rejection reason': (text) => [
    'POST',
    `/tokens/${TOKEN_ID}/rotation-requests/${REQUEST_ID}/reject`,
    { body: { reason: text } },
  ],
};

async function expectRefused(field: string, text: string): Promise<void> {
  const request = FIELDS[field];
  if (request === undefined) throw new Error(`no field ${field}`);
  const [method, path, input] = request(text);
  const reply = await call(admin, method, path, input);
  expect(reply.status).toBe(400);
  expect(reply.body['message']).toEqual(
    expect.stringContaining('must not contain a service token'),
  );
  // The refusal names the field, never the text: it must not hand the token back either.
  expect(holdsToken(reply.text)).toBe(false);
  expect(onlyTheCallerWasRead()).toBe(true);
  expect(dynamo.calls()).toHaveLength(0);
}

const token = generateToken();
const body = token.slice('sk_'.length);

describe('refusing a token in free text', () => {
  it.each(Object.keys(FIELDS))('refuses a token glued to words in the %s', async (field) => {
    await expectRefused(field, `svc_${token}`);
    await expectRefused(field, `x${token}_old`);
  });

  it.each(['metadata value', 'revoke reason', 'rotation request reason'])(
    'refuses a percent-encoded token in the %s',
    async (field) => {
      await expectRefused(field, `Authorization:%20Bearer%20${token}`);
      await expectRefused(field, `sk%5F${body}`);
      await expectRefused(field, `%2573k_${body}`);
      await expectRefused(field, encodeFully(`k_${body}`, 4));
    },
  );

  it('refuses two glued tokens in a reason', async () => {
    await expectRefused('emergency-revoke reason', token + generateToken());
  });

  it('names a field whose key holds a token without repeating the key', async () => {
    const reply = await call(admin, 'POST', '/tokens', {
      body: { name: 'ci', scopes: ['orders:read'], metadata: { [`k_${token}`]: `v_${token}` } },
    });
    const unknown = await call(admin, 'POST', `/tokens/${TOKEN_ID}/rotation-requests`, {
      body: { reason: 'rotate it', [`x_${token}`]: 1 },
    });
    expect([reply.status, unknown.status]).toEqual([400, 400]);
    expect(reply.body['message']).toBe(
      'Invalid body: metadata: keys must not contain a service token',
    );
    expect(unknown.body['message']).toBe(
      'Invalid body: unknown field(s) "[a key holding a token]"',
    );
    expect(findTokens(reply.text + unknown.text)).toEqual([]);
  });
});

describe('refusal properties', () => {
  const NAME = 'abcsk_XYZ019 .:@/-';
  const KEY = 'abcsk_XYZ019.-';

  it('refuses a + token + b in names and metadata keys (words glued on, any prefix)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('token name', 'metadata key', 'exchange name'),
        embedded({ rounds: 0, context: wordsAround(KEY, 5) }),
        async (field, e) => {
          resetMocks();
          await expectRefused(field, e.text);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a + token + b, plain, encoded or glued, in values and reasons', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'metadata value',
          'revoke reason',
          'emergency-revoke reason',
          'rotation request reason',
          'approval note',
          'rejection reason',
        ),
        embedded({ rounds: 3, context: around(20) }),
        async (field, e) => {
          fc.pre(readable(e));
          resetMocks();
          await expectRefused(field, e.text);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('accepts free text without a checksum-valid token', () => {
    fc.assert(
      fc.property(
        wordsAround(NAME, 20),
        fc.oneof(nearTokens, wordsAround(KEY, 40)),
        wordsAround(KEY, 5),
        around(60),
        (name, fake, key, reason) => {
          const text = `${reason}${fake}`;
          expect(findTokens(text)).toEqual([]);
          const named = createTokenBody.safeParse({
            name: `n${name}${fake}`.slice(0, 100),
            scopes: ['orders:read'],
            metadata: { [`k${key}${fake}`.slice(0, 64)]: text },
          });
          expect(named.success).toBe(true);
          expect(revokeQuery.safeParse({ reason: `r${text}` }).success).toBe(true);
          expect(rotationRequestBody.safeParse({ reason: `why${text}` }).success).toBe(true);
          expect(
            emergencyRevokeBody.safeParse({ tokenId: TOKEN_ID, reason: `why${text}` }).success,
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
