/**
 * Strict input end to end, on DynamoDB Local: the reported cases and their neighbours answer a
 * clear 4xx and write nothing, through the API (authenticated and public routes) and the CLI.
 */
import { describe, expect, it } from 'vitest';
import { findTokens, generateToken } from '../../shared/token/format';
import { apiClient } from '../support/api';
import { cliRunner } from '../support/cli';
import { useDynamo } from '../support/dynamo';
import { newTestToken, seedCaller } from '../support/tokens';

const dynamo = useDynamo();
const RESERVED = Object.getOwnPropertyNames(Object.prototype);

async function world() {
  const stores = dynamo.stores();
  const call = apiClient(stores);
  const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
  const counts = async () => ({
    tokens: (await dynamo.scanAll(dynamo.tables().tokens)).length,
    audit: (await dynamo.scanAll(dynamo.tables().audit)).length,
  });
  return { stores, call, admin, counts };
}

/** A raw JSON body with one metadata entry under `key` (JSON.stringify would drop __proto__). */
const withMetadataKey = (key: string) =>
  `{"name":"svc","owner":"team-a","scopes":["orders:read"],"metadata":{${JSON.stringify(key)}:"x"}}`;

describe('map keys that cannot be stored safely', () => {
  it.each(RESERVED)(
    'POST /tokens refuses metadata key %s with 400 and writes nothing',
    async (key) => {
      const w = await world();
      const before = await w.counts();

      const reply = await w.call(w.admin, 'POST', '/tokens', { rawBody: withMetadataKey(key) });

      expect(reply.status).toBe(400);
      expect(reply.body['message']).toMatch(/keys must not be names of JavaScript object members/);
      expect(await w.counts()).toEqual(before);
    },
  );

  it('the unauthenticated exchange refuses them too, and the bootstrap token stays unused', async () => {
    const w = await world();
    const boot = newTestToken({ owner: 'team-a', scopes: ['orders:read'], kind: 'bootstrap' });
    await w.stores.tokens.create(boot.input, { actor: 'test' });
    for (const key of ['constructor', '__proto__']) {
      const reply = await w.call(undefined, 'POST', '/tokens/exchange', {
        rawBody: `{"metadata":{${JSON.stringify(key)}:"x"}}`,
        headers: { authorization: `Bearer ${boot.plaintext}` },
      });
      expect(reply.status).toBe(400);
    }
    expect((await w.stores.tokens.getByHash(boot.input.tokenHash))?.status).toBe('active');
  });

  it('a query parameter named __proto__ is refused, not dropped', async () => {
    const w = await world();
    const reply = await w.call(w.admin, 'GET', '/tokens', {
      query: JSON.parse('{"owner":"team-a","__proto__":"x"}') as Record<string, string>,
    });
    expect(reply.status).toBe(400);
  });

  it('the CLI refuses --meta constructor=… and __proto__=… with a usage error, writing nothing', async () => {
    const run = cliRunner(dynamo, ['--actor', 'test']);
    for (const key of ['constructor', '__proto__']) {
      const { code, err } = await run(
        'create',
        '--name',
        'svc',
        '--owner',
        'team-a',
        '--scope',
        'orders:read',
        '--meta',
        `${key}=x`,
      );
      expect(code).toBe(2);
      expect(err).toMatch(/keys must not be names/);
    }
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual([]);
  });
});

describe('the CLI takes no token in free text and no token id as its actor', () => {
  const run = (argv: string[]) => cliRunner(dynamo)(...argv);

  it('refuses a revoke reason holding a token, and an actor holding one, writing nothing', async () => {
    const w = await world();
    const before = await dynamo.scanAll(dynamo.tables().tokens);
    const leaked = `found_${generateToken()}_old`;

    const reason = await run(['revoke', w.admin.tokenId, '--reason', leaked]);
    const actor = await run(['--actor', leaked, 'revoke', w.admin.tokenId]);

    expect([reason.code, actor.code]).toEqual([2, 2]);
    expect(findTokens(reason.err + actor.err)).toEqual([]);
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual(before);
  });

  it('records an operator as its IAM identity, with --actor only a note: never as a token id', async () => {
    const w = await world();
    const victim = await seedCaller(w.stores.tokens, 'team-a', ['orders:read']);

    const done = await run(['--actor', w.admin.tokenId, 'revoke', victim.tokenId]);

    expect(done.code).toBe(0);
    const [event] = (await w.stores.audit.listByTarget(victim.tokenId)).items;
    expect(event?.actor).toBe(`iam:arn:aws:sts::123456789012:user/moto (${w.admin.tokenId})`);
  });
});

describe('requests that are not what they claim', () => {
  it.each([
    ['text/plain', 415],
    ['application/x-www-form-urlencoded', 415],
    ['application/json; charset=utf-8', 201],
  ])('a POST /tokens body sent as %s answers %d', async (contentType, status) => {
    const w = await world();
    const reply = await w.call(w.admin, 'POST', '/tokens', {
      body: { name: 'svc', owner: 'team-a', scopes: ['orders:read'] },
      headers: { 'content-type': contentType },
    });
    expect(reply.status).toBe(status);
  });

  it('refuses a lone surrogate in a name, a revoke reason and a query value', async () => {
    const w = await world();
    const before = await w.counts();
    const replies = [
      await w.call(w.admin, 'POST', '/tokens', {
        rawBody: '{"name":"svc\\ud800","owner":"team-a","scopes":["orders:read"]}',
      }),
      await w.call(w.admin, 'DELETE', `/tokens/${w.admin.tokenId}`, {
        query: { reason: 'leak \udc00' },
      }),
      await w.call(w.admin, 'GET', '/tokens', { query: { owner: 'team-a\ud83d' } }),
    ];
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400]);
    expect(await w.counts()).toEqual(before);
  });

  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '2026-04-31'])(
    'GET /audit?day=%s is a 400: not a calendar date',
    async (day) => {
      const w = await world();
      const reply = await w.call(w.admin, 'GET', '/audit', { query: { day } });
      expect(reply.status).toBe(400);
      expect(reply.body['message']).toMatch(/calendar date/);
    },
  );

  it.each(['0x5', '1e1', '5.0', '+5', ' 5', '05'])(
    'GET /tokens?limit=%s is a 400',
    async (limit) => {
      const w = await world();
      const reply = await w.call(w.admin, 'GET', '/tokens', { query: { owner: 'team-a', limit } });
      expect(reply.status).toBe(400);
    },
  );
});
