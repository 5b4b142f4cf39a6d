/**
 * The token repository against DynamoDB Local: registering, revoking, listing, counting use and
 * retiring tokens, and what is (never) written at rest.
 */
import { describe, expect, it } from 'vitest';
import { TokenStoreError } from '../../../shared/store/errors';
import { evaluateRecord } from '../../../shared/token/verify';
import { findTokens } from '../../../shared/token/format';
import { clockStart, DAY_MS, newTestToken } from '../../support/tokens';
import { storeError } from './fixture';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const admin = { actor: 'tok_admin', requestId: 'req-1' };

describe('creating tokens', () => {
  it('stores the hash and metadata, findable by hash and by public id, never the plaintext', async () => {
    const stores = dynamo.stores();
    const { plaintext, input } = newTestToken({ metadata: { repo: 'payments' } });

    const created = await stores.tokens.create(input, admin);

    expect(created).toMatchObject({
      tokenId: input.tokenId,
      status: 'active',
      scopes: ['tokens:read'],
    });
    expect(await stores.tokens.getByHash(input.tokenHash)).toEqual(created);
    expect(await stores.tokens.getById(input.tokenId)).toEqual(created);
    const raw = JSON.stringify(await dynamo.scanAll(dynamo.tables().tokens));
    expect(raw).not.toContain(plaintext);
    expect(raw).not.toContain(plaintext.slice(3, 20));
  });

  it('writes a token.created audit event in the same transaction', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);

    const { items } = await stores.audit.listByTarget(input.tokenId);
    expect(items).toEqual([
      expect.objectContaining({
        action: 'token.created',
        actor: 'tok_admin',
        requestId: 'req-1',
        targetId: input.tokenId,
        owner: 'team-a',
        outcome: 'success',
      }),
    ]);
  });

  it('lets exactly one of two concurrent creates of the same hash win', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    const rival = { ...input, tokenId: 'tok_rival', name: 'rival' };

    const results = await Promise.allSettled([
      stores.tokens.create(input, admin),
      stores.tokens.create(rival, admin),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [failure] = results.filter((r) => r.status === 'rejected');
    expect(failure?.reason).toBeInstanceOf(TokenStoreError);
    expect(failure?.reason).toMatchObject({ code: 'already-exists' });
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(1);
    // The loser's audit event was part of its cancelled transaction: one event in total.
    expect(await dynamo.scanAll(dynamo.tables().audit)).toHaveLength(1);
  });

  it('keeps exactly one winner among many concurrent creates', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    const attempts = Array.from({ length: 8 }, (_, i) =>
      stores.tokens.create({ ...input, tokenId: `tok_${i}` }, admin),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(1);
  });

  it('never overwrites an existing token', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    await stores.tokens.revoke(input.tokenHash, admin);

    const error = await storeError(stores.tokens.create(input, admin));

    expect(error.code).toBe('already-exists');
    expect((await stores.tokens.getByHash(input.tokenHash))?.status).toBe('revoked');
  });

  it('sets the TTL to the token end plus the retention period', async () => {
    const stores = dynamo.stores({ retentionDays: 10 });
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const [item] = await dynamo.scanAll(dynamo.tables().tokens);
    expect(item?.['ttl']).toBe(Math.floor(input.expiresAt.getTime() / 1000) + 10 * 86_400);
  });
});

describe('revoking tokens', () => {
  it('revokes once; revoking again is harmless and writes nothing more', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);

    const first = await stores.tokens.revoke(input.tokenHash, { ...admin, reason: 'leaked' });
    const second = await stores.tokens.revoke(input.tokenHash, admin);

    expect(first).toMatchObject({
      changed: true,
      record: { status: 'revoked', revokeReason: 'leaked' },
    });
    expect(second).toMatchObject({
      changed: false,
      record: { status: 'revoked', revokeReason: 'leaked' },
    });
    const actions = (await stores.audit.listByTarget(input.tokenId)).items.map((e) => e.action);
    expect(actions.sort()).toEqual(['token.created', 'token.revoked']);
  });

  it('lets exactly one of several concurrent revokes change the token', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => stores.tokens.revoke(input.tokenHash, admin)),
    );

    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const revokes = (await stores.audit.listByTarget(input.tokenId)).items.filter(
      (e) => e.action === 'token.revoked',
    );
    expect(revokes).toHaveLength(1);
  });

  it('never returns a revoked token as active, even when a rotation races the revoke', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const now = new Date();

    await Promise.allSettled([
      stores.tokens.revoke(input.tokenHash, admin),
      stores.rotations.markRotated(
        input.tokenHash,
        { successorId: 'tok_next', graceUntil: new Date(now.getTime() + DAY_MS) },
        admin,
      ),
    ]);

    for (const consistent of [true, false]) {
      const record = await stores.tokens.getByHash(input.tokenHash, { consistent });
      expect(record?.status).toBe('revoked');
      expect(evaluateRecord(record, now)).toMatchObject({ allowed: false, reason: 'revoked' });
    }
  });

  it('removes a revoked token from the expiry index', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const window = { until: new Date(input.expiresAt.getTime() + 1) };
    expect((await stores.tokens.listEnding(window)).items).toHaveLength(1);

    await stores.tokens.revoke(input.tokenHash, admin);

    expect((await stores.tokens.listEnding(window)).items).toEqual([]);
  });

  it('answers not-found for an unknown token and writes nothing', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    expect((await storeError(stores.tokens.revoke(input.tokenHash, admin))).code).toBe('not-found');
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual([]);
    expect(await dynamo.scanAll(dynamo.tables().audit)).toEqual([]);
  });
});

describe('listing', () => {
  it('pages through one owner’s tokens, newest first, without duplicates', async () => {
    const stores = dynamo.stores();
    const base = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { input } = newTestToken({ owner: 'team-a' }, new Date(base + i * 1000));
      ids.push(input.tokenId);
      await stores.tokens.create(input, admin);
    }
    await stores.tokens.create(newTestToken({ owner: 'team-b' }).input, admin);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await stores.tokens.listByOwner('team-a', { limit: 3, cursor });
      seen.push(...page.items.map((r) => r.tokenId));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);

    expect(seen).toEqual(ids.reverse());
  });

  it('filters by status', async () => {
    const stores = dynamo.stores();
    const a = newTestToken();
    const b = newTestToken();
    await stores.tokens.create(a.input, admin);
    await stores.tokens.create(b.input, admin);
    await stores.tokens.revoke(a.input.tokenHash, admin);
    const { items } = await stores.tokens.listByOwner('team-a', { status: 'revoked' });
    expect(items.map((r) => r.tokenId)).toEqual([a.input.tokenId]);
  });

  it('rejects a cursor made for another owner or tampered with', async () => {
    const stores = dynamo.stores();
    for (let i = 0; i < 3; i++)
      await stores.tokens.create(newTestToken({ owner: 'team-b' }).input, admin);
    const { cursor } = await stores.tokens.listByOwner('team-b', { limit: 1 });
    expect(cursor).toBeDefined();

    expect((await storeError(stores.tokens.listByOwner('team-a', { cursor }))).code).toBe(
      'invalid-cursor',
    );
    expect(
      (await storeError(stores.tokens.listByOwner('team-b', { cursor: 'not-a-cursor' }))).code,
    ).toBe('invalid-cursor');
  });

  it('reads only tokens ending in the window through the sparse expiry index', async () => {
    const stores = dynamo.stores();
    const now = new Date();
    const soon = [3, 10, 20].map((days) =>
      newTestToken({ expiresAt: new Date(now.getTime() + days * DAY_MS) }, now),
    );
    const later = Array.from({ length: 20 }, () =>
      newTestToken({ expiresAt: new Date(now.getTime() + 200 * DAY_MS) }, now),
    );
    for (const { input } of [...soon, ...later]) await stores.tokens.create(input, admin);

    const { items, cursor } = await stores.tokens.listEnding({
      from: now,
      until: new Date(now.getTime() + 30 * DAY_MS),
    });

    expect(items.map((r) => r.tokenId)).toEqual(soon.map((t) => t.input.tokenId));
    expect(cursor).toBeUndefined();
  });
});

describe('usage', () => {
  it('adds uses and sets lastUsedAt without creating phantom items', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const at = new Date();

    expect(await stores.tokens.recordUsage(input.tokenHash, 5, at)).toBe(true);
    expect(await stores.tokens.recordUsage(input.tokenHash, 2, at)).toBe(true);
    expect(await stores.tokens.recordUsage('f'.repeat(64), 1, at)).toBe(false);

    expect(await stores.tokens.getByHash(input.tokenHash, { consistent: true })).toMatchObject({
      useCount: 7,
      lastUsedAt: at.toISOString(),
    });
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(1);
  });
});

describe('retiring ended tokens', () => {
  const cleanup = { actor: 'system:cleanup', requestId: 'run-1' };

  it('marks an expired token expired, takes it out of the expiry index, and audits it', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now, retentionDays: 90 });
    const retiring = dynamo.stores({ now: () => now, retentionDays: 30 });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await stores.tokens.create(input, admin);

    expect((await stores.tokens.expire(input.tokenHash, cleanup)).changed).toBe(false);
    now = new Date(now.getTime() + DAY_MS);
    const result = await retiring.tokens.expire(input.tokenHash, cleanup);

    expect(result).toMatchObject({ changed: true, record: { status: 'expired' } });
    expect((await stores.tokens.listEnding({ until: new Date(now.getTime() + 1) })).items).toEqual(
      [],
    );
    const [item] = await dynamo.scanAll(dynamo.tables().tokens);
    expect(item).not.toHaveProperty('expiryPartition');
    // The retiring stores' retention, not the creator's: expire sets the TTL itself.
    expect(item?.['ttl']).toBe(Date.parse(input.expiresAt.toISOString()) / 1000 + 30 * 86_400);
    expect((await stores.audit.listByTarget(input.tokenId)).items[0]).toMatchObject({
      action: 'token.expired',
      actor: 'system:cleanup',
      details: { endedAt: input.expiresAt.toISOString() },
    });
  });

  it('ends a predecessor whose grace passed as grace-ended, denied as past-grace', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const { input } = newTestToken({}, now);
    await stores.tokens.create(input, admin);
    const graceUntil = new Date(now.getTime() + DAY_MS);
    await stores.rotations.markRotated(
      input.tokenHash,
      { successorId: 'tok_next', graceUntil },
      admin,
    );

    now = graceUntil;
    const result = await stores.tokens.expire(input.tokenHash, cleanup);

    expect(result.record.status).toBe('expired');
    expect(evaluateRecord(result.record, now)).toMatchObject({ reason: 'past-grace' });
    expect((await stores.audit.listByTarget(input.tokenId)).items[0]).toMatchObject({
      action: 'token.grace-ended',
    });
  });

  it('changes a token once when runs overlap, with one audit event', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await stores.tokens.create(input, admin);
    now = new Date(now.getTime() + 2 * DAY_MS);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => stores.tokens.expire(input.tokenHash, cleanup)),
    );

    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const actions = (await stores.audit.listByTarget(input.tokenId)).items.map((e) => e.action);
    expect(actions.filter((a) => a === 'token.expired')).toHaveLength(1);
  });

  it('leaves revoked tokens alone', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await stores.tokens.create(input, admin);
    await stores.tokens.revoke(input.tokenHash, admin);
    now = new Date(now.getTime() + 2 * DAY_MS);

    expect(await stores.tokens.expire(input.tokenHash, cleanup)).toMatchObject({
      changed: false,
      record: { status: 'revoked' },
    });
  });
});

describe('secrets at rest', () => {
  it('keeps every plaintext out of token items and audit events', async () => {
    const stores = dynamo.stores();
    const issued = Array.from({ length: 3 }, () => newTestToken());
    for (const { input } of issued) await stores.tokens.create(input, admin);
    const [first, second] = issued;
    if (first === undefined || second === undefined) throw new Error('fixture');
    await stores.tokens.revoke(first.input.tokenHash, { ...admin, reason: 'rotated out' });
    await stores.rotations.markRotated(
      second.input.tokenHash,
      { successorId: 'tok_x', graceUntil: new Date() },
      admin,
    );

    const dump = JSON.stringify([
      await dynamo.scanAll(dynamo.tables().tokens),
      await dynamo.scanAll(dynamo.tables().audit),
    ]);
    expect(findTokens(dump)).toEqual([]);
    for (const { plaintext, input } of issued) {
      expect(dump).not.toContain(plaintext.slice(3, 3 + 16));
      // Audit events name tokens by id, not by hash.
      expect(JSON.stringify(await dynamo.scanAll(dynamo.tables().audit))).not.toContain(
        input.tokenHash,
      );
    }
  });
});
