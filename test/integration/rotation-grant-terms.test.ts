/**
 * What an admin approves is what executes: the successor's lifetime and the predecessor's grace
 * are fixed at approval, and whoever uses the grant cannot change them. The lifetime is the
 * token's own unless the approver sets one, and never outlives the approving token; the grace
 * is the deployment's default unless the approver sets it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_GRACE_DAYS } from '../../shared/defaults';
import type { RotationRequestRepository } from '../../shared/store';
import { apiClient } from '../support/api';
import { useDynamo } from '../support/dynamo';
import { overriding } from '../support/stores';
import { DAY_MS, seedCaller } from '../support/tokens';

const dynamo = useDynamo();

const granted = z.object({
  tokenId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  predecessor: z.object({ tokenId: z.string(), worksUntil: z.string() }),
});

/** A team token of `days` days, a sibling of the team that may ask for its rotation, an admin. */
async function world(options: { days: number; adminDays?: number }) {
  const stores = dynamo.stores();
  const call = apiClient(stores);
  const now = new Date();
  const target = await seedCaller(stores.tokens, 'team-a', ['orders:read'], {
    now,
    expiresInDays: options.days,
  });
  const sibling = await seedCaller(stores.tokens, 'team-a', ['orders:read', 'tokens:read']);
  const admin = await seedCaller(stores.tokens, 'platform', ['admin'], {
    now,
    expiresInDays: options.adminDays ?? 365,
  });
  const base = async () => {
    const asked = await call(sibling, 'POST', `/tokens/${target.tokenId}/rotation-requests`, {
      body: { reason: 'the CI log printed it' },
    });
    expect(asked.status).toBe(201);
    return `/tokens/${target.tokenId}/rotation-requests/${String(asked.body['requestId'])}`;
  };
  return { stores, call, target, sibling, admin, base };
}

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;

describe('rotation grants: the approver fixes the terms', () => {
  it('refuses terms sent with the execution and writes nothing (the reported 1-day → 730-day shape)', async () => {
    const w = await world({ days: 1 });
    const base = await w.base();
    expect((await w.call(w.admin, 'POST', `${base}/approve`, { body: {} })).status).toBe(200);
    const before = await dynamo.scanAll(dynamo.tables().tokens);

    for (const body of [
      { expiresInDays: 730 },
      { graceDays: 0 },
      { expiresInDays: 730, graceDays: 0 },
    ]) {
      const reply = await w.call(w.sibling, 'POST', `${base}/execute`, { body });
      expect(reply.status).toBe(400);
      expect(String(reply.body['message'])).toMatch(/unknown field/);
    }
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual(before);
  });

  it("by default rotates into the token's own lifetime and leaves its holder the default grace", async () => {
    const w = await world({ days: 1 });
    const base = await w.base();
    const approved = await w.call(w.admin, 'POST', `${base}/approve`, { body: {} });
    expect(approved.body).toMatchObject({
      successorLifetimeDays: 1,
      successorGraceDays: DEFAULT_GRACE_DAYS,
    });

    const reply = await w.call(w.sibling, 'POST', `${base}/execute`);

    expect(reply.status).toBe(201);
    const next = granted.parse(reply.body);
    expect(days(next.createdAt, next.expiresAt)).toBeCloseTo(1, 5);
    // The grace never extends the predecessor past its own (1-day) expiry.
    const predecessor = await w.stores.tokens.getById(w.target.tokenId);
    expect(next.predecessor.worksUntil).toBe(predecessor?.expiresAt);
    expect(predecessor?.graceUntil).toBeDefined();
    expect(days(next.createdAt, predecessor?.graceUntil ?? '')).toBeCloseTo(DEFAULT_GRACE_DAYS, 3);
  });

  it('executes the lifetime and grace the approver set', async () => {
    const w = await world({ days: 30 });
    const base = await w.base();
    const approved = await w.call(w.admin, 'POST', `${base}/approve`, {
      body: { expiresInDays: 60, graceDays: 2, note: 'two days to roll over' },
    });
    expect(approved.status).toBe(200);

    const next = granted.parse((await w.call(w.sibling, 'POST', `${base}/execute`)).body);

    expect(days(next.createdAt, next.expiresAt)).toBeCloseTo(60, 5);
    expect(days(next.createdAt, next.predecessor.worksUntil)).toBeCloseTo(2, 3);
    const events = (await w.stores.audit.listByTarget(w.target.tokenId)).items;
    const approval = events.find((e) => e.action === 'rotation.approved');
    expect(approval?.details).toMatchObject({
      successorLifetimeDays: '60',
      successorGraceDays: '2',
    });
  });

  it('never rotates into a token that outlives the approving admin token', async () => {
    const w = await world({ days: 30, adminDays: 10 });
    const base = await w.base();
    await w.call(w.admin, 'POST', `${base}/approve`, { body: { expiresInDays: 730 } });

    const next = granted.parse((await w.call(w.sibling, 'POST', `${base}/execute`)).body);

    expect(next.expiresAt).toBe((await w.stores.tokens.getById(w.admin.tokenId))?.expiresAt);
  });
});

describe('rotation grants: the terms that execute are the approved ones, whatever the timing', () => {
  it('plans the successor from the approved request even when the execute read it still pending', async () => {
    const w = await world({ days: 30, adminDays: 10 });
    const base = await w.base();
    // The approval lands between the service's read of the token (request pending, no terms)
    // and the rotation's own transaction: the race the reviewer won.
    const stores = dynamo.stores();
    const racing = overriding(stores, 'requests', {
      executeRotationGrant: async (
        ...args: Parameters<RotationRequestRepository['executeRotationGrant']>
      ) => {
        const approved = await w.call(w.admin, 'POST', `${base}/approve`, {
          body: { expiresInDays: 1, graceDays: 0 },
        });
        expect(approved.status).toBe(200);
        return stores.requests.executeRotationGrant(...args);
      },
    });

    const reply = await apiClient(racing)(w.sibling, 'POST', `${base}/execute`);

    expect(reply.status).toBe(201);
    const next = granted.parse(reply.body);
    expect(days(next.createdAt, next.expiresAt)).toBeCloseTo(1, 5);
    expect(next.predecessor.worksUntil).toBe(next.createdAt);
  });

  it('caps the successor at the expiry of the token that receives it, unless it replaces that token', async () => {
    const w = await world({ days: 30 });
    const shortSibling = await seedCaller(
      w.stores.tokens,
      'team-a',
      ['orders:read', 'tokens:read'],
      {
        expiresInDays: 2,
      },
    );
    const asked = await w.call(
      shortSibling,
      'POST',
      `/tokens/${w.target.tokenId}/rotation-requests`,
      {
        body: { reason: 'the CI log printed it' },
      },
    );
    const base = `/tokens/${w.target.tokenId}/rotation-requests/${String(asked.body['requestId'])}`;
    await w.call(w.admin, 'POST', `${base}/approve`, { body: {} });

    const next = granted.parse((await w.call(shortSibling, 'POST', `${base}/execute`)).body);

    expect(next.expiresAt).toBe((await w.stores.tokens.getById(shortSibling.tokenId))?.expiresAt);
  });

  it('gives a token that asked for its own rotation a successor with its full lifetime', async () => {
    const w = await world({ days: 30 });
    const asked = await w.call(w.target, 'POST', `/tokens/${w.target.tokenId}/rotation-requests`, {
      body: { reason: 'rotating on schedule' },
    });
    const base = `/tokens/${w.target.tokenId}/rotation-requests/${String(asked.body['requestId'])}`;
    await w.call(w.admin, 'POST', `${base}/approve`, { body: {} });

    const next = granted.parse((await w.call(w.target, 'POST', `${base}/execute`)).body);

    expect(days(next.createdAt, next.expiresAt)).toBeCloseTo(30, 5);
  });
});

describe('tokens minted by an admin token never outlive it', () => {
  it('caps a created token, a rotated token, a bootstrap token and what it is exchanged for', async () => {
    const stores = dynamo.stores();
    const call = apiClient(stores);
    const admin = await seedCaller(stores.tokens, 'platform', ['admin'], { expiresInDays: 5 });
    const adminEnd = (await stores.tokens.getById(admin.tokenId))?.expiresAt;

    const created = await call(admin, 'POST', '/tokens', {
      body: { name: 'svc', owner: 'team-a', scopes: ['orders:read'], expiresInDays: 365 },
    });
    const rotated = await call(admin, 'POST', `/tokens/${String(created.body['tokenId'])}/rotate`, {
      body: { expiresInDays: 365 },
    });
    const boot = await call(admin, 'POST', '/tokens/bootstrap', {
      body: { name: 'boot', owner: 'team-a', scopes: ['orders:read'], tokenExpiresInDays: 365 },
    });
    const exchanged = await call(undefined, 'POST', '/tokens/exchange', {
      body: {},
      headers: { authorization: `Bearer ${String(boot.body['token'])}` },
    });

    expect([created.status, rotated.status, boot.status, exchanged.status]).toEqual([
      201, 201, 201, 201,
    ]);
    expect(created.body['expiresAt']).toBe(adminEnd);
    expect(rotated.body['expiresAt']).toBe(adminEnd);
    expect(boot.body['tokenExpiresBy']).toBe(adminEnd);
    expect(exchanged.body['expiresAt']).toBe(adminEnd);
  });
});
