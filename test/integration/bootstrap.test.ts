/**
 * One-time bootstrap tokens, through the management API's handler against DynamoDB Local: an
 * admin issues one, a new service exchanges it once for its own token; a second use, an expired
 * one, or a request beyond its limits is refused and audited, with nothing else written.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { findTokens } from '../../shared/token/format';
import { verifyToken } from '../../shared/token/verify';
import { localDynamoClient } from '../../local/aws/clients';
import { apiClient } from '../support/api';
import { FaultInjector } from '../support/fault-injector';
import { useDynamo } from '../support/dynamo';
import { newTestToken, seedCaller } from '../support/tokens';

const dynamo = useDynamo();

const issued = z.object({ token: z.string(), tokenId: z.string(), expiresAt: z.string() });
const auditItems = z.array(
  z.object({
    action: z.string(),
    outcome: z.string(),
    actor: z.string(),
    details: z.optional(z.record(z.string(), z.string())),
  }),
);

function world(now: () => Date = () => new Date()) {
  const stores = dynamo.stores({ now });
  const call = apiClient(stores, { now });
  const verify = (token: string) =>
    verifyToken(token, { lookup: (h) => stores.tokens.getByHash(h, { consistent: true }), now });
  const exchange = (token: string, body: unknown = {}) =>
    call(undefined, 'POST', '/tokens/exchange', {
      body,
      headers: { Authorization: `Bearer ${token}` },
    });
  const audit = async (tokenId: string) =>
    auditItems.parse((await stores.audit.listByTarget(tokenId)).items).reverse();
  return { stores, call, verify, exchange, audit };
}

async function issueBootstrap(w: ReturnType<typeof world>, body: Record<string, unknown> = {}) {
  const admin = await seedCaller(w.stores.tokens, 'platform', ['admin']);
  const reply = await w.call(admin, 'POST', '/tokens/bootstrap', {
    body: {
      name: 'billing-worker',
      owner: 'team-billing',
      scopes: ['orders:read', 'orders:write'],
      ...body,
    },
  });
  expect(reply.status).toBe(201);
  return { admin, bootstrap: issued.parse(reply.body), reply };
}

describe('bootstrap tokens', () => {
  it('an admin issues one that lives an hour, authenticates nothing, and exchanges once', async () => {
    const w = world();
    const started = Date.now();
    const { bootstrap, reply } = await issueBootstrap(w);
    expect(reply.body).toMatchObject({
      kind: 'bootstrap',
      owner: 'team-billing',
      status: 'active',
    });
    const lifetime = Date.parse(bootstrap.expiresAt) - started;
    expect(lifetime).toBeGreaterThan(59 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60_000 + 5_000);
    // The authorizer's verification denies it: it is not an operational token.
    expect(await w.verify(bootstrap.token)).toMatchObject({ allowed: false, reason: 'bootstrap' });

    const exchanged = await w.exchange(bootstrap.token, { scopes: ['orders:read'] });
    expect(exchanged.status).toBe(201);
    const operational = issued.parse(exchanged.body);
    expect(exchanged.body).toMatchObject({
      owner: 'team-billing',
      name: 'billing-worker',
      scopes: ['orders:read'],
      bootstrapId: bootstrap.tokenId,
    });
    expect(exchanged.body).not.toHaveProperty('kind');
    expect(await w.verify(operational.token)).toMatchObject({ allowed: true });
    // 90 days by default (the bootstrap's tokenExpiresInDays).
    expect(Date.parse(operational.expiresAt) - started).toBeGreaterThan(89.9 * 86_400_000);

    const spent = await w.stores.tokens.getById(bootstrap.tokenId);
    expect(spent).toMatchObject({ status: 'used', exchangedFor: operational.tokenId });
    const [created, exchange, ...more] = await w.audit(bootstrap.tokenId);
    expect(more).toEqual([]);
    expect(created).toMatchObject({ action: 'token.created', details: { kind: 'bootstrap' } });
    expect(exchange).toMatchObject({
      action: 'token.exchanged',
      outcome: 'success',
      actor: bootstrap.tokenId,
      details: { exchangedFor: operational.tokenId },
    });
    const issuedEvents = await w.audit(operational.tokenId);
    expect(issuedEvents).toHaveLength(1);
    expect(issuedEvents[0]).toMatchObject({
      action: 'token.created',
      actor: bootstrap.tokenId,
      details: { bootstrapId: bootstrap.tokenId },
    });
  });

  it('refuses a second use with 409, audits it, and issues nothing', async () => {
    const w = world();
    const { bootstrap } = await issueBootstrap(w);
    const first = await w.exchange(bootstrap.token);
    expect(first.status).toBe(201);
    const tokensBefore = await dynamo.scanAll(dynamo.tables().tokens);

    const second = await w.exchange(bootstrap.token);

    expect(second.status).toBe(409);
    expect(second.body['message']).toMatch(/already exchanged.*single-use/);
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(tokensBefore.length);
    const events = await w.audit(bootstrap.tokenId);
    expect(events.at(-1)).toMatchObject({
      action: 'token.exchange',
      outcome: 'failure',
      actor: bootstrap.tokenId,
    });
    expect(events.at(-1)?.details?.['refused']).toMatch(/already exchanged/);
  });

  it('lets exactly one of two concurrent exchanges win', async () => {
    const w = world();
    const { bootstrap } = await issueBootstrap(w);
    const replies = await Promise.all([w.exchange(bootstrap.token), w.exchange(bootstrap.token)]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    const exchanged = (await w.audit(bootstrap.tokenId)).filter(
      (e) => e.action === 'token.exchanged',
    );
    expect(exchanged).toHaveLength(1);
  });

  it('refuses a stale second exchange on the condition of its own transaction', async () => {
    const w = world();
    const { bootstrap } = await issueBootstrap(w);
    const stale = await w.stores.tokens.getById(bootstrap.tokenId); // read before the first exchange
    if (stale === undefined) throw new Error('bootstrap token missing');
    expect((await w.exchange(bootstrap.token)).status).toBe(201);

    // The in-memory check passes on the stale record; DynamoDB's condition refuses.
    const second = w.stores.bootstrap.exchangeBootstrap(
      stale,
      newTestToken({ owner: 'team-billing' }).input,
      {
        actor: stale.tokenId,
      },
    );

    await expect(second).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already exchanged/) as unknown,
    });
    const exchanged = (await w.audit(bootstrap.tokenId)).filter(
      (e) => e.action === 'token.exchanged',
    );
    expect(exchanged).toHaveLength(1);
  });

  it('answers an exchange whose commit lost its response with the token it made', async () => {
    const faults = new FaultInjector();
    const client = localDynamoClient(inject('dynamoEndpoint'));
    faults.attach(client);
    const stores = dynamo.stores({ client });
    const call = apiClient(stores);
    const admin = await seedCaller(stores.tokens, 'platform', ['admin']);
    const issuedReply = await call(admin, 'POST', '/tokens/bootstrap', {
      body: { name: 'worker', owner: 'team-billing', scopes: ['orders:read'] },
    });
    const bootstrap = issued.parse(issuedReply.body);

    faults.armNext('TransactWriteItemsCommand', 'timeout'); // applied, then the answer is lost
    const reply = await call(undefined, 'POST', '/tokens/exchange', {
      body: {},
      headers: { Authorization: `Bearer ${bootstrap.token}` },
    });

    expect(faults.fired).toEqual({ command: 'TransactWriteItemsCommand', kind: 'timeout' });
    expect(reply.status).toBe(201);
    const operational = issued.parse(reply.body);
    expect(await stores.tokens.getById(bootstrap.tokenId)).toMatchObject({
      status: 'used',
      exchangedFor: operational.tokenId,
    });
    client.destroy();
  });

  it('refuses an expired one with 410 even though cleanup has not run, and audits it', async () => {
    let clock = new Date();
    const w = world(() => clock);
    const { bootstrap } = await issueBootstrap(w, { expiresInMinutes: 30 });
    clock = new Date(clock.getTime() + 31 * 60_000);
    // Still `active` in the table: only the expiry itself stands in the way.
    expect(await w.stores.tokens.getById(bootstrap.tokenId)).toMatchObject({ status: 'active' });

    const late = await w.exchange(bootstrap.token);

    expect(late.status).toBe(410);
    expect(late.body['message']).toMatch(/expired at/);
    expect(await w.audit(bootstrap.tokenId)).toEqual([
      expect.objectContaining({ action: 'token.created' }),
      expect.objectContaining({ action: 'token.exchange', outcome: 'failure' }),
    ]);
    expect(await w.stores.tokens.getById(bootstrap.tokenId)).toMatchObject({ status: 'active' });
  });

  it('refuses scopes or a lifetime beyond the bootstrap, and a revoked one', async () => {
    const w = world();
    const { admin, bootstrap } = await issueBootstrap(w, { tokenExpiresInDays: 30 });

    const wider = await w.exchange(bootstrap.token, { scopes: ['orders:read', 'admin'] });
    expect(wider.status).toBe(403);
    expect(wider.body['message']).toBe('The bootstrap token does not allow these scopes: admin');
    const longer = await w.exchange(bootstrap.token, { expiresInDays: 31 });
    expect(longer.status).toBe(403);
    // Refusals do not use it up.
    expect(await w.stores.tokens.getById(bootstrap.tokenId)).toMatchObject({ status: 'active' });

    expect((await w.call(admin, 'DELETE', `/tokens/${bootstrap.tokenId}`)).status).toBe(200);
    const revoked = await w.exchange(bootstrap.token);
    expect(revoked.status).toBe(409);
    expect(revoked.body['message']).toMatch(/was revoked/);
    const refusals = (await w.audit(bootstrap.tokenId)).filter((e) => e.outcome === 'failure');
    expect(refusals).toHaveLength(3);
  });

  it('answers 401 for no token, a malformed one, an unknown one, and an operational one', async () => {
    const w = world();
    const service = newTestToken({ owner: 'team-billing', scopes: ['orders:read'] });
    await w.stores.tokens.create(service.input, { actor: 'test:setup' });
    const replies = [
      await w.call(undefined, 'POST', '/tokens/exchange', { body: {} }),
      await w.exchange('sk_not-a-token'),
      await w.exchange(newTestToken().plaintext),
      await w.exchange(service.plaintext),
    ];
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    for (const reply of replies) expect(findTokens(reply.text)).toEqual([]);
    // The operational token presented as a bootstrap token is audited on that token.
    expect((await w.audit(service.input.tokenId)).at(-1)).toMatchObject({
      action: 'token.exchange',
      outcome: 'failure',
    });
  });

  it('only an admin issues them; a non-admin is refused and audited', async () => {
    const w = world();
    const teamAdmin = await seedCaller(w.stores.tokens, 'team-billing', [
      'tokens:write',
      'orders:read',
    ]);
    const reply = await w.call(teamAdmin, 'POST', '/tokens/bootstrap', {
      body: { name: 'x', owner: 'team-billing', scopes: ['orders:read'] },
    });
    expect(reply.status).toBe(403);
    const refused = auditItems.parse(
      (await w.stores.audit.listByTarget('owner:team-billing')).items,
    );
    expect(refused).toEqual([
      expect.objectContaining({ action: 'token.bootstrap', outcome: 'failure' }),
    ]);
  });

  it('never writes the plaintext of either token to a table', async () => {
    const w = world();
    const { bootstrap } = await issueBootstrap(w);
    const exchanged = issued.parse((await w.exchange(bootstrap.token)).body);
    await w.exchange(bootstrap.token);
    const everything = JSON.stringify([
      await dynamo.scanAll(dynamo.tables().tokens),
      await dynamo.scanAll(dynamo.tables().audit),
    ]);
    expect(everything).not.toContain(bootstrap.token);
    expect(everything).not.toContain(exchanged.token);
    expect(findTokens(everything)).toEqual([]);
  });
});
