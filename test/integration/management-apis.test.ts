/**
 * The management API and the registry: a token's scopes must be known (the platform's own, or
 * a registered API's), and `GET /apis` lists what the platform protects.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiClient } from '../support/api';
import { useDynamo } from '../support/dynamo';
import { EXAMPLE_API, EXAMPLE_REGISTRANT } from '../support/registry';
import { seedCaller } from '../support/tokens';

const dynamo = useDynamo();

const BILLING = {
  apiId: 'b1ll1ng000',
  kind: 'http' as const,
  stages: ['$default'],
  region: 'eu-west-1',
  account: '222222222222',
  routes: [{ method: 'GET', path: '/invoices', scopes: ['billing:read'] }],
};

async function world() {
  const stores = dynamo.stores();
  const call = apiClient(stores);
  const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
  const create = (scopes: string[]) =>
    call(admin, 'POST', '/tokens', {
      body: { name: 'ci', owner: 'team-a', scopes, expiresInDays: 30 },
    });
  return { stores, call, admin, create };
}

describe('unknown scopes', () => {
  it('refuses billing:write with a 400 naming the nearest known scope, and writes nothing', async () => {
    const w = await world();
    await w.stores.apis.register(BILLING, 'billing-stack/Registration');
    const before = (await dynamo.scanAll(dynamo.tables().tokens)).length;

    const reply = await w.create(['orders:read', 'billing:write']);

    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      message:
        'unknown scope billing:write: no registered API knows it; nearest known scope: billing:read',
    });
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(before);
  });

  it('issues scopes of any registered API, and the platform’s own', async () => {
    const w = await world();
    await w.stores.apis.register(BILLING, 'billing-stack/Registration');

    const reply = await w.create(['orders:write', 'billing:read', 'tokens:read']);

    expect(reply.status).toBe(201);
  });

  it('forgets the scopes of a deregistered API', async () => {
    const w = await world();
    const key = `${EXAMPLE_API.account}/${EXAMPLE_API.region}/rest/${EXAMPLE_API.apiId}`;
    await w.stores.apis.deregister(key, EXAMPLE_REGISTRANT);

    const refused = await w.create(['orders:read']);
    const platformOnly = await w.create(['tokens:read']);

    expect(refused.status).toBe(400);
    expect(refused.body['message']).toMatch(
      /^unknown scope orders:read: no API is registered yet .*; nearest known scope: tokens:read$/,
    );
    expect(platformOnly.status).toBe(201);
  });

  it('refuses an unknown scope in a bootstrap token, which would pass it on', async () => {
    const w = await world();

    const reply = await w.call(w.admin, 'POST', '/tokens/bootstrap', {
      body: {
        name: 'new-svc',
        owner: 'team-a',
        scopes: ['orders:raed'],
        expiresInMinutes: 60,
        tokenExpiresInDays: 30,
      },
    });

    expect(reply.status).toBe(400);
    expect(reply.body['message']).toBe(
      'unknown scope orders:raed: no registered API knows it; nearest known scope: orders:read',
    );
  });
});

const page = z.object({
  items: z.array(
    z.object({
      apiId: z.string(),
      kind: z.string(),
      stages: z.array(z.string()),
      scopes: z.array(z.string()),
      routes: z.array(
        z.object({ method: z.string(), path: z.string(), scopes: z.array(z.string()) }),
      ),
    }),
  ),
  cursor: z.string().optional(),
});

describe('GET /apis', () => {
  it('lists the registered APIs with their stages, routes and scopes, page by page', async () => {
    const w = await world();
    await w.stores.apis.register(BILLING, 'billing-stack/Registration');
    const reader = await seedCaller(w.stores.tokens, 'team-a', ['tokens:read']);

    const first = page.parse(
      (await w.call(reader, 'GET', '/apis', { query: { limit: '1' } })).body,
    );
    const second = page.parse(
      (await w.call(reader, 'GET', '/apis', { query: { cursor: first.cursor ?? '' } })).body,
    );

    expect(
      [...first.items, ...second.items].map((api) => [api.apiId, api.kind, api.scopes]),
    ).toEqual([
      [EXAMPLE_API.apiId, 'rest', ['orders:admin', 'orders:read', 'orders:write']],
      ['b1ll1ng000', 'http', ['billing:read']],
    ]);
    expect(second.items[0]?.stages).toEqual(['$default']);
    expect(second.items[0]?.routes).toEqual(BILLING.routes);
    expect(second.cursor).toBeUndefined();
  });

  it('refuses, audited, a token without tokens:read', async () => {
    const w = await world();
    const service = await seedCaller(w.stores.tokens, 'team-a', ['orders:read']);

    const reply = await w.call(service, 'GET', '/apis');

    expect(reply.status).toBe(403);
    const [event] = (await w.stores.audit.listByTarget('owner:team-a')).items;
    expect(event).toMatchObject({
      action: 'apis.list',
      outcome: 'failure',
      actor: service.tokenId,
    });
  });

  it('refuses a bad cursor and an unknown parameter with a 400', async () => {
    const w = await world();

    const forged = await w.call(w.admin, 'GET', '/apis', { query: { cursor: 'eyJ4IjoxfQ' } });
    const unknown = await w.call(w.admin, 'GET', '/apis', { query: { owner: 'team-a' } });

    expect([forged.status, unknown.status]).toEqual([400, 400]);
  });
});
