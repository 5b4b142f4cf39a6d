/**
 * Every management route re-reads its caller before acting: a cached Allow policy at API
 * Gateway is no proof that the token is still valid, nor current. The table: every route behind
 * the authorizer × every state its caller can be in while API Gateway still lets it through.
 * The caller is an admin throughout, so that scopes never explain a refusal.
 */
import { describe, expect, it } from 'vitest';
import { MANAGEMENT_ROUTES } from '../../shared/api/routes';
import type { Stores } from '../../shared/store';
import { apiClient, type ApiCall } from '../support/api';
import { useDynamo } from '../support/dynamo';
import { DAY_MS, newTestToken, seedCaller } from '../support/tokens';

const dynamo = useDynamo();

type Caller = Awaited<ReturnType<typeof seedCaller>>;
type Expected = 'acts' | 'reads only' | 'refused';

/** The calling admin token in each state, and what it may still do. */
const STATES: readonly {
  state: string;
  expected: Expected;
  make: (stores: Stores) => Promise<Caller>;
}[] = [
  { state: 'active', expected: 'acts', make: (s) => seedCaller(s.tokens, 'platform', ['admin']) },
  {
    state: 'rotated out, in grace',
    expected: 'reads only',
    make: async (s) => {
      const caller = await seedCaller(s.tokens, 'platform', ['admin']);
      await s.rotations.markRotated(
        caller.tokenHash,
        { successorId: 'tok_successor00000001', graceUntil: new Date(Date.now() + DAY_MS) },
        { actor: 'test' },
      );
      return caller;
    },
  },
  {
    state: 'revoked, still in the policy cache',
    expected: 'refused',
    make: async (s) => {
      const caller = await seedCaller(s.tokens, 'platform', ['admin']);
      await s.tokens.revoke(caller.tokenHash, { actor: 'test', reason: 'leaked' });
      return caller;
    },
  },
  {
    state: 'expired (cleanup not run yet)',
    expected: 'refused',
    make: (s) =>
      seedCaller(s.tokens, 'platform', ['admin'], {
        now: new Date(Date.now() - 2 * DAY_MS),
        expiresInDays: 1,
      }),
  },
  {
    state: 'a used bootstrap token',
    expected: 'refused',
    make: async (s) => {
      const boot = newTestToken({ owner: 'platform', scopes: ['admin'], kind: 'bootstrap' });
      await s.tokens.create(boot.input, { actor: 'test' });
      const bootstrap = await s.tokens.getByHash(boot.input.tokenHash, { consistent: true });
      if (bootstrap === undefined) throw new Error('bootstrap token not stored');
      await s.bootstrap.exchangeBootstrap(bootstrap, newTestToken({ owner: 'platform' }).input, {
        actor: bootstrap.tokenId,
      });
      return { ...boot.input, scopes: ['admin'], plaintext: boot.plaintext };
    },
  },
];

/** A well-formed request for each route, against a victim token with a pending request. */
function requestFor(
  method: string,
  path: string,
  victim: { tokenId: string; requestId: string },
): { path: string; call: ApiCall } {
  const concrete = path.replace('{id}', victim.tokenId).replace('{requestId}', victim.requestId);
  const bodies: Record<string, unknown> = {
    'POST /tokens': { name: 'minted', owner: 'team-a', scopes: ['orders:read'] },
    'POST /tokens/bootstrap': { name: 'boot', owner: 'team-a', scopes: ['orders:read'] },
    'POST /tokens/{id}/rotate': {},
    'POST /tokens/{id}/rotation-requests': { reason: 'rotate it please' },
    'POST /tokens/{id}/rotation-requests/{requestId}/approve': {},
    'POST /tokens/{id}/rotation-requests/{requestId}/reject': { reason: 'not now' },
    'POST /tokens/emergency-revoke': { tokenId: victim.tokenId, reason: 'leaked in a log' },
  };
  const queries: Record<string, Record<string, string>> = {
    'GET /tokens': { owner: 'team-a' },
    'GET /audit': { targetId: victim.tokenId },
  };
  const key = `${method} ${path}`;
  return {
    path: concrete,
    call: {
      ...(bodies[key] === undefined ? {} : { body: bodies[key] }),
      ...(queries[key] === undefined ? {} : { query: queries[key] }),
    },
  };
}

/** The whole tokens table, in a stable order: to show that nothing changed. */
async function tokenItems(): Promise<string> {
  const items = await dynamo.scanAll(dynamo.tables().tokens);
  return JSON.stringify(
    items.sort((a, b) => String(a['tokenId']).localeCompare(String(b['tokenId']))),
  );
}

const ROUTES = MANAGEMENT_ROUTES.map((r) => ({ ...r, name: `${r.method} ${r.path}` }));

describe.each(STATES)('a calling token that is $state', ({ expected, make }) => {
  it.each(ROUTES)('$name', async ({ method, path }) => {
    const stores = dynamo.stores();
    const call = apiClient(stores, { cache: { flush: () => Promise.resolve() } });
    const caller = await make(stores);
    const victim = await seedCaller(stores.tokens, 'team-a', ['orders:read']);
    const asker = await seedCaller(stores.tokens, 'team-a', ['orders:read', 'tokens:read']);
    const asked = await call(asker, 'POST', `/tokens/${victim.tokenId}/rotation-requests`, {
      body: { reason: 'the CI log printed it' },
    });
    expect(asked.status).toBe(201);
    const request = { tokenId: victim.tokenId, requestId: String(asked.body['requestId']) };
    const before = await tokenItems();
    const auditBefore = (await dynamo.scanAll(dynamo.tables().audit)).length;

    const { path: concrete, call: input } = requestFor(method, path, request);
    const reply = await call(caller, method, concrete, input);

    const refused = expected === 'refused' || (expected === 'reads only' && method !== 'GET');
    if (refused) {
      expect(reply.status).toBe(expected === 'refused' ? 401 : 403);
      expect(String(reply.body['message'])).toMatch(/^The calling token /);
      expect(await tokenItems()).toBe(before);
      const audit = await dynamo.scanAll(dynamo.tables().audit);
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit).toContainEqual(
        expect.objectContaining({
          action: 'caller.refused',
          outcome: 'failure',
          targetId: caller.tokenId,
        }),
      );
    } else {
      // The route ran: it may still refuse for its own reasons, never for the caller's state.
      expect(reply.status).not.toBe(401);
      expect(JSON.stringify(reply.body)).not.toMatch(/"The calling token /);
    }
  });
});

describe('the calling token is read from the request', () => {
  it("refuses a request whose Authorization header is not the authorizer's token", async () => {
    const stores = dynamo.stores();
    const call = apiClient(stores);
    const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
    const other = await seedCaller(stores.tokens, 'team-a', ['orders:read']);

    const reply = await call(
      { ...admin, plaintext: other.plaintext },
      'DELETE',
      `/tokens/${other.tokenId}`,
    );

    expect(reply).toMatchObject({
      status: 401,
      body: { message: 'The calling token is not valid' },
    });
    expect((await stores.tokens.getById(other.tokenId))?.status).toBe('active');
  });

  it('lets a revoked admin that API Gateway still caches revoke nothing (the reported shape)', async () => {
    const stores = dynamo.stores();
    const call = apiClient(stores);
    const leaked = await seedCaller(stores.tokens, 'platform', ['admin']);
    const other = await seedCaller(stores.tokens, 'platform', ['admin']);
    const replacement = await seedCaller(stores.tokens, 'team-a', ['orders:read']);
    expect((await call(leaked, 'GET', '/me')).status).toBe(200);
    expect((await call(other, 'DELETE', `/tokens/${leaked.tokenId}`)).status).toBe(200);

    const reply = await call(leaked, 'DELETE', `/tokens/${replacement.tokenId}`);

    expect(reply.status).toBe(401);
    expect((await stores.tokens.getById(replacement.tokenId))?.status).toBe('active');
  });
});
