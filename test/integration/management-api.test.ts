/**
 * The management API over its handler, as API Gateway calls it, against DynamoDB Local:
 * the lifecycle, tenant isolation, escalation, bad input, emergency revocation, the audit
 * trail, and no plaintext token anywhere but the one response that issues it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findTokens, generateToken, hashToken } from '../../shared/token/format';
import { verifyToken } from '../../shared/token/verify';
import type { AuditContext } from '../../shared/store/audit';
import { TokenStoreError } from '../../shared/store/errors';
import { apiClient } from '../support/api';
import { useDynamo } from '../support/dynamo';
import { overriding } from '../support/stores';
import { DAY_MS, newTestToken, seedCaller } from '../support/tokens';

const dynamo = useDynamo();

const issued = z.object({
  token: z.string(),
  tokenId: z.string(),
  owner: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.string(),
  warning: z.string(),
});

function world() {
  const stores = dynamo.stores();
  const flushes: number[] = [];
  const call = apiClient(stores, { cache: { flush: () => Promise.resolve(void flushes.push(1)) } });
  const verify = (token: string) =>
    verifyToken(token, {
      lookup: (hash) => stores.tokens.getByHash(hash, { consistent: true }),
      now: () => new Date(),
    });
  const counts = async () => ({
    tokens: (await dynamo.scanAll(dynamo.tables().tokens)).length,
    audit: (await dynamo.scanAll(dynamo.tables().audit)).length,
  });
  return { stores, call, verify, counts, flushes };
}

describe('management API: the token lifecycle', () => {
  it('creates, uses, rotates (both valid in grace), revokes (denied), all audited', async () => {
    const w = world();
    const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);

    const created = await w.call(admin, 'POST', '/tokens', {
      body: { name: 'payments-ci', owner: 'team-a', scopes: ['orders:read'], expiresInDays: 30 },
    });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const first = issued.parse(created.body);
    expect(first).toMatchObject({ owner: 'team-a', scopes: ['orders:read'] });
    expect(first.warning).toMatch(/shown once/);
    expect(await w.verify(first.token)).toMatchObject({ allowed: true, inGrace: false });

    const shown = await w.call(admin, 'GET', `/tokens/${first.tokenId}`);
    expect(shown.status).toBe(200);
    expect(shown.text).not.toContain(first.token);
    expect(shown.body).not.toHaveProperty('tokenHash');

    const rotated = await w.call(admin, 'POST', `/tokens/${first.tokenId}/rotate`, {
      body: { graceDays: 2 },
    });
    expect(rotated.status).toBe(201);
    const second = issued.parse(rotated.body);
    expect(second.token).not.toBe(first.token);
    expect(rotated.body).toMatchObject({
      rotatedFrom: first.tokenId,
      predecessor: { tokenId: first.tokenId },
    });
    expect(await w.verify(first.token)).toMatchObject({ allowed: true, inGrace: true });
    expect(await w.verify(second.token)).toMatchObject({ allowed: true, inGrace: false });

    const revoked = await w.call(admin, 'DELETE', `/tokens/${first.tokenId}`, {
      query: { reason: 'rotated early' },
    });
    expect(revoked).toMatchObject({ status: 200, body: { status: 'revoked', changed: true } });
    expect(await w.verify(first.token)).toMatchObject({ allowed: false, reason: 'revoked' });
    expect(await w.verify(second.token)).toMatchObject({ allowed: true });

    const audit = await w.call(admin, 'GET', '/audit', { query: { targetId: first.tokenId } });
    const actions = z
      .array(z.object({ action: z.string(), actor: z.string() }))
      .parse(audit.body['items']);
    expect(actions.map((e) => e.action)).toEqual([
      'token.revoked',
      'token.rotated',
      'token.created',
    ]);
    expect(new Set(actions.map((e) => e.actor))).toEqual(new Set([admin.tokenId]));
    for (const table of [dynamo.tables().tokens, dynamo.tables().audit]) {
      const raw = JSON.stringify(await dynamo.scanAll(table));
      expect(raw).not.toContain(first.token);
      expect(raw).not.toContain(second.token);
    }
  });

  it("lists a tenant's tokens, filtered and paginated, without plaintext or hashes", async () => {
    const w = world();
    const writer = await seedCaller(w.stores.tokens, 'team-a', [
      'tokens:read',
      'tokens:write',
      'orders:read',
    ]);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await w.call(writer, 'POST', '/tokens', {
        body: { name: `svc-${String(i)}`, scopes: ['orders:read'], expiresInDays: 10 + i },
      });
      tokens.push(issued.parse(reply.body).token);
    }
    const page1 = await w.call(writer, 'GET', '/tokens', { query: { limit: '4' } });
    const page2 = await w.call(writer, 'GET', '/tokens', {
      query: { limit: '4', cursor: String(page1.body['cursor']) },
    });
    const expiring = await w.call(writer, 'GET', '/tokens', {
      query: { expiringBefore: new Date(Date.now() + 11.5 * DAY_MS).toISOString() },
    });

    const names = (reply: { body: Record<string, unknown> }) =>
      z
        .array(z.object({ name: z.string() }))
        .parse(reply.body['items'])
        .map((t) => t.name);
    expect([...names(page1), ...names(page2)].sort()).toEqual(
      ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4', 'team-a-caller'].sort(),
    );
    expect(names(expiring).sort()).toEqual(['svc-0', 'svc-1']);
    const cursor = Buffer.from(String(page1.body['cursor']), 'base64url').toString('utf8');
    const everything = page1.text + page2.text + expiring.text + cursor;
    expect(findTokens(everything)).toEqual([]);
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(hashToken(token));
    }
    expect(everything).not.toContain('tokenHash');
    expect(cursor).toContain('tokenId');
  });

  it('reports usage and answers who-am-I', async () => {
    const w = world();
    const caller = await seedCaller(w.stores.tokens, 'team-a', ['tokens:read']);
    const record = await w.stores.tokens.getById(caller.tokenId);
    await w.stores.tokens.recordUsage(record?.tokenHash ?? '', 4, new Date());

    const me = await w.call(caller, 'GET', '/me');
    const usage = await w.call(caller, 'GET', `/tokens/${caller.tokenId}/usage`);

    expect(me.body).toMatchObject({ tokenId: caller.tokenId, owner: 'team-a', admin: false });
    expect(usage.body).toMatchObject({ tokenId: caller.tokenId, useCount: 4 });
  });
});

describe('management API: tenant isolation', () => {
  async function tenants() {
    const w = world();
    const a = await seedCaller(w.stores.tokens, 'team-a', [
      'tokens:read',
      'tokens:write',
      'orders:read',
    ]);
    const b = await seedCaller(w.stores.tokens, 'team-b', [
      'tokens:read',
      'tokens:write',
      'orders:read',
    ]);
    return { w, a, b };
  }

  it.each([
    ['GET', (id: string) => `/tokens/${id}`, {}],
    ['GET', (id: string) => `/tokens/${id}/usage`, {}],
    ['POST', (id: string) => `/tokens/${id}/rotate`, { body: {} }],
    ['DELETE', (id: string) => `/tokens/${id}`, {}],
  ] as const)(
    '%s %s of another tenant\'s token is "not found" and changes nothing',
    async (method, path, call) => {
      const { w, a, b } = await tenants();
      const before = await w.counts();

      const reply = await w.call(a, method, path(b.tokenId), call);

      expect(reply.status).toBe(404);
      expect(reply.body['message']).toBe(`No token ${b.tokenId}`);
      expect(await w.counts()).toEqual(before);
      expect((await w.stores.tokens.getById(b.tokenId))?.status).toBe('active');
    },
  );

  it('refuses listing another tenant', async () => {
    const { w, a } = await tenants();
    const reply = await w.call(a, 'GET', '/tokens', { query: { owner: 'team-b' } });
    expect(reply).toMatchObject({
      status: 403,
      body: { message: 'You can only list tokens of your own owner' },
    });
  });

  it.each([
    [
      { name: 'x', owner: 'team-b', scopes: ['orders:read'] },
      'Only an admin can issue tokens for another owner',
    ],
    [
      { name: 'x', scopes: ['orders:write'] },
      'You cannot grant scopes you do not hold: orders:write',
    ],
    [{ name: 'x', scopes: ['admin'] }, 'You cannot grant scopes you do not hold: admin'],
  ])('refuses to issue %j, writes no token and audits the refusal', async (body, message) => {
    const { w, a } = await tenants();
    const before = await w.counts();

    const reply = await w.call(a, 'POST', '/tokens', { body });

    expect(reply).toMatchObject({ status: 403, body: { message } });
    expect(await w.counts()).toEqual({ tokens: before.tokens, audit: before.audit + 1 });
    const [event] = (await w.stores.audit.listByDay(new Date().toISOString().slice(0, 10))).items;
    expect(event).toMatchObject({ action: 'token.create', outcome: 'failure', actor: a.tokenId });
  });

  it('refuses to rotate a token of its own tenant with scopes the caller lacks', async () => {
    const { w, a } = await tenants();
    const strong = await seedCaller(w.stores.tokens, 'team-a', ['orders:admin']);

    const reply = await w.call(a, 'POST', `/tokens/${strong.tokenId}/rotate`, { body: {} });

    expect(reply).toMatchObject({
      status: 403,
      body: { message: 'You cannot grant scopes you do not hold: orders:admin' },
    });
    expect((await w.stores.tokens.getById(strong.tokenId))?.rotatedTo).toBeUndefined();
  });

  it('refuses to let a revoked or rotated-out caller issue tokens (API Gateway may still cache it)', async () => {
    const { w, a } = await tenants();
    const record = await w.stores.tokens.getById(a.tokenId);
    const other = await seedCaller(w.stores.tokens, 'team-a', [
      'tokens:read',
      'tokens:write',
      'orders:read',
    ]);
    const otherRecord = await w.stores.tokens.getById(other.tokenId);
    await w.stores.tokens.revoke(record?.tokenHash ?? '', { actor: 'test' });
    await w.stores.rotations.markRotated(
      otherRecord?.tokenHash ?? '',
      { successorId: 'tok_next', graceUntil: new Date(Date.now() + DAY_MS) },
      { actor: 'test' },
    );
    const before = await w.counts();
    const body = { name: 'x', scopes: ['orders:read'] };

    const revoked = await w.call(a, 'POST', '/tokens', { body });
    const rotatedOut = await w.call(other, 'POST', '/tokens', { body });

    expect(revoked).toMatchObject({
      status: 401,
      body: { message: 'The calling token is revoked' },
    });
    expect(rotatedOut).toMatchObject({
      status: 403,
      body: {
        message:
          'The calling token was rotated out (replaced by tok_next): until its grace period ends it may only read',
      },
    });
    expect((await w.counts()).tokens).toBe(before.tokens);
  });

  it("caps the expiry of a non-admin's new token at its own", async () => {
    const { w, a } = await tenants(); // the caller expires in 90 days
    const reply = await w.call(a, 'POST', '/tokens', {
      body: { name: 'x', scopes: ['orders:read'], expiresInDays: 365 },
    });
    expect(reply.status).toBe(201);
    expect(reply.body['expiresAt']).toBe((await w.stores.tokens.getById(a.tokenId))?.expiresAt);
  });

  it('keeps the audit trail and emergency revocation for admins', async () => {
    const { w, a } = await tenants();
    expect((await w.call(a, 'GET', '/audit', { query: { targetId: a.tokenId } })).status).toBe(403);
    const emergency = await w.call(a, 'POST', '/tokens/emergency-revoke', {
      body: { owner: 'team-a', reason: 'leak' },
    });
    expect(emergency.status).toBe(403);
    expect((await w.stores.tokens.getById(a.tokenId))?.status).toBe('active');
  });
});

describe('management API: tokens held in Secrets Manager', () => {
  it('refuses to rotate them through the API: the secret would keep the old token', async () => {
    const w = world();
    const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
    const { input } = newTestToken({ owner: 'team-a' });
    await w.stores.tokens.create(
      input,
      { actor: 'rotation' },
      { pending: { rotationId: 'version-1' } },
    );
    await w.stores.rotations.activateSuccessor(input.tokenHash, {}, { actor: 'rotation' });

    const reply = await w.call(admin, 'POST', `/tokens/${input.tokenId}/rotate`, { body: {} });

    expect(reply.status).toBe(409);
    expect(reply.body['message']).toMatch(/held in a Secrets Manager secret: rotate the secret/);
    expect((await w.stores.tokens.getById(input.tokenId))?.rotatedTo).toBeUndefined();
  });
});

describe('management API: emergency revocation', () => {
  it('revokes every live token of an owner and flushes the authorizer cache', async () => {
    const w = world();
    const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
    const victims = await Promise.all(
      Array.from({ length: 7 }, () => seedCaller(w.stores.tokens, 'team-b', ['orders:read'])),
    );
    const bystander = await seedCaller(w.stores.tokens, 'team-c', ['orders:read']);

    const reply = await w.call(admin, 'POST', '/tokens/emergency-revoke', {
      body: { owner: 'team-b', reason: 'credentials leaked in a build log' },
    });
    const again = await w.call(admin, 'POST', '/tokens/emergency-revoke', {
      body: { owner: 'team-b', reason: 'credentials leaked in a build log' },
    });

    expect(reply).toMatchObject({ status: 200, body: { cacheFlushed: true, alreadyRevoked: 0 } });
    expect(z.array(z.string()).parse(reply.body['revoked']).sort()).toEqual(
      victims.map((v) => v.tokenId).sort(),
    );
    expect(again.body).toMatchObject({ revoked: [], cacheFlushed: true });
    expect(w.flushes).toHaveLength(2);
    expect((await w.stores.tokens.getById(bystander.tokenId))?.status).toBe('active');
    const [event] = (await w.stores.audit.listByTarget(victims[0]?.tokenId ?? '')).items;
    expect(event).toMatchObject({
      action: 'token.revoked',
      actor: admin.tokenId,
      reason: 'emergency: credentials leaked in a build log',
    });
  });

  it('pages through every token of the owner, including predecessors still in grace', async () => {
    const stores = dynamo.stores();
    const call = apiClient(stores, { cache: { flush: () => Promise.resolve() }, pageSize: 3 });
    const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
    const victims = await Promise.all(
      Array.from({ length: 8 }, () => seedCaller(stores.tokens, 'team-b', ['orders:read'])),
    );
    const inGrace = await stores.tokens.getById(victims[0]?.tokenId ?? '');
    await stores.rotations.markRotated(
      inGrace?.tokenHash ?? '',
      { successorId: 'tok_next', graceUntil: new Date(Date.now() + DAY_MS) },
      { actor: 'test' },
    );

    const reply = await call(admin, 'POST', '/tokens/emergency-revoke', {
      body: { owner: 'team-b', reason: 'leak' },
    });

    expect(reply.body).toMatchObject({ complete: true, failed: [], cacheFlushed: true });
    expect(z.array(z.string()).parse(reply.body['revoked'])).toHaveLength(8);
  });

  it('keeps going past a failed revocation, still flushes, and reports what failed', async () => {
    const stores = dynamo.stores();
    const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
    const [stuck, ok] = [
      await seedCaller(stores.tokens, 'team-b', ['orders:read']),
      await seedCaller(stores.tokens, 'team-b', ['orders:read']),
    ];
    const stuckHash = (await stores.tokens.getById(stuck.tokenId))?.tokenHash;
    const flushes: number[] = [];
    const flaky = overriding(stores, 'tokens', {
      revoke: (hash: string, context: AuditContext) =>
        hash === stuckHash
          ? Promise.reject(new TokenStoreError('throttled', 'DynamoDB throttled revoke'))
          : stores.tokens.revoke(hash, context),
    });
    const call = apiClient(flaky, {
      cache: { flush: () => Promise.resolve(void flushes.push(1)) },
    });

    const reply = await call(admin, 'POST', '/tokens/emergency-revoke', {
      body: { owner: 'team-b', reason: 'leak' },
    });

    expect(reply.body).toMatchObject({
      revoked: [ok.tokenId],
      failed: [stuck.tokenId],
      complete: false,
      cacheFlushed: true,
    });
    expect(reply.body['warning']).toMatch(/could not be revoked/);
    expect(flushes).toHaveLength(1);
  });

  it('audits the emergency itself with its flush, even when every token was already revoked', async () => {
    const w = world();
    const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
    const victim = await seedCaller(w.stores.tokens, 'team-b', ['orders:read']);
    const body = { tokenId: victim.tokenId, reason: 'leak' };

    await w.call(admin, 'POST', '/tokens/emergency-revoke', { body });
    const again = await w.call(admin, 'POST', '/tokens/emergency-revoke', { body });

    expect(again.body).toMatchObject({ revoked: [], alreadyRevoked: 1, cacheFlushed: true });
    const trail = (await w.stores.audit.listByTarget(victim.tokenId)).items;
    const emergencies = trail.filter((e) => e.action === 'token.emergency-revoke');
    expect(emergencies.map((e) => e.details)).toEqual([
      { revoked: '0', alreadyRevoked: '1', failed: '0', cacheFlushed: 'true' },
      { revoked: '1', alreadyRevoked: '0', failed: '0', cacheFlushed: 'true' },
    ]);
    expect(emergencies[0]).toMatchObject({
      actor: admin.tokenId,
      outcome: 'success',
      reason: 'emergency: leak',
    });
    expect(trail.filter((e) => e.action === 'token.revoked')).toHaveLength(1);
  });

  it('reports a failed cache flush instead of hiding it', async () => {
    const stores = dynamo.stores();
    const call = apiClient(stores, { cache: { flush: () => Promise.reject(new Error('denied')) } });
    const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
    const victim = await seedCaller(stores.tokens, 'team-b', ['orders:read']);

    const reply = await call(admin, 'POST', '/tokens/emergency-revoke', {
      body: { tokenId: victim.tokenId, reason: 'leak' },
    });

    expect(reply).toMatchObject({
      status: 200,
      body: { revoked: [victim.tokenId], cacheFlushed: false },
    });
    expect(reply.body['warning']).toMatch(/not flushed/);
  });
});

describe('management API: bad input', () => {
  const cases: [
    string,
    string,
    string,
    { body?: unknown; rawBody?: string; query?: Record<string, string> },
    number,
    string,
  ][] = [
    [
      'malformed JSON',
      'POST',
      '/tokens',
      { rawBody: '{"name": ' },
      400,
      'The request body is not valid JSON',
    ],
    [
      'missing name',
      'POST',
      '/tokens',
      { body: { scopes: ['orders:read'] } },
      400,
      'Invalid body: name is required',
    ],
    [
      'empty scopes',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: [] } },
      400,
      'Invalid body: scopes: must name at least one scope',
    ],
    [
      'bad scope',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: ['Orders Read'] } },
      400,
      'Invalid body: scopes.0: must look like "orders:read"',
    ],
    [
      'lifetime too long',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: ['orders:read'], expiresInDays: 9999 } },
      400,
      'Invalid body: expiresInDays: must be at most 730',
    ],
    [
      'fractional lifetime',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: ['orders:read'], expiresInDays: 1.5 } },
      400,
      'Invalid body: expiresInDays must be a int',
    ],
    [
      'unknown field',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: ['orders:read'], admin: true } },
      400,
      'Invalid body: unknown field(s) "admin"',
    ],
    [
      'bad owner',
      'POST',
      '/tokens',
      { body: { name: 'x', owner: 'Team A', scopes: ['orders:read'] } },
      400,
      'Invalid body: owner: must be 1–64 lowercase',
    ],
    [
      'bad metadata',
      'POST',
      '/tokens',
      { body: { name: 'x', scopes: ['orders:read'], metadata: { k: 1 } } },
      400,
      'Invalid body: metadata.k must be a string',
    ],
    ['bad token id', 'GET', '/tokens/not-an-id', {}, 400, 'Invalid path: id: must be a token id'],
    [
      'unknown token',
      'GET',
      '/tokens/tok_0000000000000000',
      {},
      404,
      'No token tok_0000000000000000',
    ],
    [
      'bad limit',
      'GET',
      '/tokens',
      { query: { limit: '1000' } },
      400,
      'Invalid query: limit: must be a whole number from 1 to 100',
    ],
    [
      'tampered cursor',
      'GET',
      '/tokens',
      { query: { owner: 'platform', cursor: 'eyJvd25lciI6InRlYW0tYiJ9' } },
      400,
      'The pagination cursor is invalid',
    ],
    [
      'bad status',
      'GET',
      '/tokens',
      { query: { status: 'zombie' } },
      400,
      'Invalid query: status: Invalid option',
    ],
    [
      'bad date',
      'GET',
      '/tokens',
      { query: { expiringBefore: 'tomorrow' } },
      400,
      'Invalid query: expiringBefore: must be an ISO 8601 date-time',
    ],
    [
      'grace too long',
      'POST',
      '/tokens/tok_0000000000000000/rotate',
      { body: { graceDays: 60 } },
      400,
      'Invalid body: graceDays: must be at most 30',
    ],
    [
      'body on DELETE',
      'DELETE',
      '/tokens/tok_0000000000000000',
      { body: { reason: 'x' } },
      400,
      'Invalid body: unknown field(s) "reason"',
    ],
    [
      'emergency without target',
      'POST',
      '/tokens/emergency-revoke',
      { body: { reason: 'leak' } },
      400,
      'give exactly one of "owner" or "tokenId"',
    ],
    [
      'name of the wrong type',
      'POST',
      '/tokens',
      { body: { name: 5, scopes: ['orders:read'] } },
      400,
      'Invalid body: name must be a string',
    ],
    [
      'body that is not an object',
      'POST',
      '/tokens',
      { rawBody: 'null' },
      400,
      'Invalid body: body must be a JSON object',
    ],
    [
      'body that is an array',
      'POST',
      '/tokens',
      { rawBody: '[]' },
      400,
      'Invalid body: body must be a JSON object',
    ],
    [
      'limit that is not a number',
      'GET',
      '/tokens',
      { query: { owner: 'platform', limit: 'abc' } },
      400,
      'Invalid query: limit: must be a whole number from 1 to 100',
    ],
    [
      'a token pasted into the name',
      'POST',
      '/tokens',
      { body: { name: `leak ${generateToken()}`, scopes: ['orders:read'] } },
      400,
      'Invalid body: name: must',
    ],
    ['audit without filter', 'GET', '/audit', {}, 400, 'give exactly one of "targetId" or "day"'],
  ];

  it.each(cases)(
    '%s: %s %s answers with a clear message and writes nothing',
    async (_, method, path, call, status, message) => {
      const w = world();
      const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
      const before = await w.counts();

      const reply = await w.call(admin, method, path, call);

      expect(reply.status).toBe(status);
      expect(String(reply.body['message'])).toContain(message);
      expect(await w.counts()).toEqual(before);
    },
  );

  it('answers an unknown route with 404 and a request without authorizer context with 401', async () => {
    const w = world();
    const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
    expect((await w.call(admin, 'PATCH', '/tokens')).status).toBe(404);
    expect((await w.call(undefined, 'GET', '/me')).status).toBe(401);
  });
});
