import { describe, expect, it } from 'vitest';
import { TokenStoreError } from '../../shared/store/errors';
import { TokenStore, type TokenStoreOptions } from '../../shared/store/token-store';
import { evaluateRecord } from '../../shared/token/verify';
import { findTokens } from '../../shared/token/format';
import { useDynamo } from '../support/dynamo';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const fixture = useDynamo();
/** This file tests the TokenStore class itself, on the fixture's tables. */
const dynamo = {
  ...fixture,
  store: (options: Partial<TokenStoreOptions> = {}) =>
    new TokenStore({
      client: fixture.client,
      tokensTable: fixture.tables().tokens,
      auditTable: fixture.tables().audit,
      ...options,
    }),
};
const admin = { actor: 'tok_admin', requestId: 'req-1' };

async function storeError(promise: Promise<unknown>): Promise<TokenStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenStoreError))
    throw new Error(`expected TokenStoreError, got ${String(error)}`);
  return error;
}

describe('creating tokens', () => {
  it('stores the hash and metadata, findable by hash and by public id, never the plaintext', async () => {
    const store = dynamo.store();
    const { plaintext, input } = newTestToken({ metadata: { repo: 'payments' } });

    const created = await store.create(input, admin);

    expect(created).toMatchObject({
      tokenId: input.tokenId,
      status: 'active',
      scopes: ['tokens:read'],
    });
    expect(await store.getByHash(input.tokenHash)).toEqual(created);
    expect(await store.getById(input.tokenId)).toEqual(created);
    const raw = JSON.stringify(await dynamo.scanAll(dynamo.tables().tokens));
    expect(raw).not.toContain(plaintext);
    expect(raw).not.toContain(plaintext.slice(3, 20));
  });

  it('writes a token.created audit event in the same transaction', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);

    const { items } = await store.listAudit(input.tokenId);
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
    const store = dynamo.store();
    const { input } = newTestToken();
    const rival = { ...input, tokenId: 'tok_rival', name: 'rival' };

    const results = await Promise.allSettled([
      store.create(input, admin),
      store.create(rival, admin),
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
    const store = dynamo.store();
    const { input } = newTestToken();
    const attempts = Array.from({ length: 8 }, (_, i) =>
      store.create({ ...input, tokenId: `tok_${i}` }, admin),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(1);
  });

  it('never overwrites an existing token', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    await store.revoke(input.tokenHash, admin);

    const error = await storeError(store.create(input, admin));

    expect(error.code).toBe('already-exists');
    expect((await store.getByHash(input.tokenHash))?.status).toBe('revoked');
  });

  it('sets the TTL to the token end plus the retention period', async () => {
    const store = dynamo.store({ retentionDays: 10 });
    const { input } = newTestToken();
    await store.create(input, admin);
    const [item] = await dynamo.scanAll(dynamo.tables().tokens);
    expect(item?.['ttl']).toBe(Math.floor(input.expiresAt.getTime() / 1000) + 10 * 86_400);
  });
});

describe('revoking tokens', () => {
  it('revokes once; revoking again is harmless and writes nothing more', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);

    const first = await store.revoke(input.tokenHash, { ...admin, reason: 'leaked' });
    const second = await store.revoke(input.tokenHash, admin);

    expect(first).toMatchObject({
      changed: true,
      record: { status: 'revoked', revokeReason: 'leaked' },
    });
    expect(second).toMatchObject({
      changed: false,
      record: { status: 'revoked', revokeReason: 'leaked' },
    });
    const actions = (await store.listAudit(input.tokenId)).items.map((e) => e.action);
    expect(actions.sort()).toEqual(['token.created', 'token.revoked']);
  });

  it('lets exactly one of several concurrent revokes change the token', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.revoke(input.tokenHash, admin)),
    );

    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const revokes = (await store.listAudit(input.tokenId)).items.filter(
      (e) => e.action === 'token.revoked',
    );
    expect(revokes).toHaveLength(1);
  });

  it('never returns a revoked token as active, even when a rotation races the revoke', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const now = new Date();

    await Promise.allSettled([
      store.revoke(input.tokenHash, admin),
      store.markRotated(
        input.tokenHash,
        { successorId: 'tok_next', graceUntil: new Date(now.getTime() + DAY_MS) },
        admin,
      ),
    ]);

    for (const consistent of [true, false]) {
      const record = await store.getByHash(input.tokenHash, { consistent });
      expect(record?.status).toBe('revoked');
      expect(evaluateRecord(record, now)).toMatchObject({ allowed: false, reason: 'revoked' });
    }
  });

  it('removes a revoked token from the expiry index', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const window = { until: new Date(input.expiresAt.getTime() + 1) };
    expect((await store.listEnding(window)).items).toHaveLength(1);

    await store.revoke(input.tokenHash, admin);

    expect((await store.listEnding(window)).items).toEqual([]);
  });

  it('answers not-found for an unknown token and writes nothing', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    expect((await storeError(store.revoke(input.tokenHash, admin))).code).toBe('not-found');
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toEqual([]);
    expect(await dynamo.scanAll(dynamo.tables().audit)).toEqual([]);
  });
});

describe('rotation bookkeeping', () => {
  it('keeps the predecessor valid until its grace deadline, then denies it', async () => {
    const store = dynamo.store();
    const now = new Date();
    const { input } = newTestToken({}, now);
    await store.create(input, admin);
    const graceUntil = new Date(now.getTime() + 7 * DAY_MS);

    const { record } = await store.markRotated(
      input.tokenHash,
      { successorId: 'tok_next', graceUntil },
      admin,
    );

    expect(record).toMatchObject({ rotatedTo: 'tok_next', graceUntil: graceUntil.toISOString() });
    expect(evaluateRecord(record, new Date(graceUntil.getTime() - 1))).toMatchObject({
      allowed: true,
      inGrace: true,
    });
    expect(evaluateRecord(record, graceUntil)).toMatchObject({
      allowed: false,
      reason: 'past-grace',
    });
  });

  it('acts once per successor: a repeat is a no-op, a different successor a conflict', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const graceUntil = new Date(Date.now() + DAY_MS);

    const first = await store.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil },
      admin,
    );
    const repeat = await store.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil: new Date(graceUntil.getTime() + DAY_MS) },
      admin,
    );
    const other = await storeError(
      store.markRotated(input.tokenHash, { successorId: 'tok_b', graceUntil }, admin),
    );

    expect(first.changed).toBe(true);
    expect(repeat).toMatchObject({
      changed: false,
      record: { graceUntil: graceUntil.toISOString() },
    });
    expect(other.code).toBe('conflict');
    const rotations = (await store.listAudit(input.tokenId)).items.filter(
      (e) => e.action === 'token.rotated',
    );
    expect(rotations).toHaveLength(1);
    expect(rotations[0]?.details).toEqual({
      successorId: 'tok_a',
      graceUntil: graceUntil.toISOString(),
    });
  });

  it('refuses to rotate a revoked token', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    await store.revoke(input.tokenHash, admin);
    const error = await storeError(
      store.markRotated(input.tokenHash, { successorId: 'tok_a', graceUntil: new Date() }, admin),
    );
    expect(error.code).toBe('conflict');
  });

  it('never lets grace extend a token past its own expiry in the expiry index', async () => {
    const store = dynamo.store();
    const now = new Date();
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + 2 * DAY_MS) }, now);
    await store.create(input, admin);
    await store.markRotated(
      input.tokenHash,
      { successorId: 'tok_a', graceUntil: new Date(now.getTime() + 30 * DAY_MS) },
      admin,
    );
    const { items } = await store.listEnding({ until: new Date(now.getTime() + 3 * DAY_MS) });
    expect(items.map((r) => r.tokenId)).toEqual([input.tokenId]);
  });
});

describe('listing', () => {
  it('pages through one owner’s tokens, newest first, without duplicates', async () => {
    const store = dynamo.store();
    const base = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { input } = newTestToken({ owner: 'team-a' }, new Date(base + i * 1000));
      ids.push(input.tokenId);
      await store.create(input, admin);
    }
    await store.create(newTestToken({ owner: 'team-b' }).input, admin);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listByOwner('team-a', { limit: 3, cursor });
      seen.push(...page.items.map((r) => r.tokenId));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);

    expect(seen).toEqual(ids.reverse());
  });

  it('filters by status', async () => {
    const store = dynamo.store();
    const a = newTestToken();
    const b = newTestToken();
    await store.create(a.input, admin);
    await store.create(b.input, admin);
    await store.revoke(a.input.tokenHash, admin);
    const { items } = await store.listByOwner('team-a', { status: 'revoked' });
    expect(items.map((r) => r.tokenId)).toEqual([a.input.tokenId]);
  });

  it('rejects a cursor made for another owner or tampered with', async () => {
    const store = dynamo.store();
    for (let i = 0; i < 3; i++) await store.create(newTestToken({ owner: 'team-b' }).input, admin);
    const { cursor } = await store.listByOwner('team-b', { limit: 1 });
    expect(cursor).toBeDefined();

    expect((await storeError(store.listByOwner('team-a', { cursor }))).code).toBe('invalid-cursor');
    expect((await storeError(store.listByOwner('team-b', { cursor: 'not-a-cursor' }))).code).toBe(
      'invalid-cursor',
    );
  });

  it('reads only tokens ending in the window through the sparse expiry index', async () => {
    const store = dynamo.store();
    const now = new Date();
    const soon = [3, 10, 20].map((days) =>
      newTestToken({ expiresAt: new Date(now.getTime() + days * DAY_MS) }, now),
    );
    const later = Array.from({ length: 20 }, () =>
      newTestToken({ expiresAt: new Date(now.getTime() + 200 * DAY_MS) }, now),
    );
    for (const { input } of [...soon, ...later]) await store.create(input, admin);

    const { items, cursor } = await store.listEnding({
      from: now,
      until: new Date(now.getTime() + 30 * DAY_MS),
    });

    expect(items.map((r) => r.tokenId)).toEqual(soon.map((t) => t.input.tokenId));
    expect(cursor).toBeUndefined();
  });
});

describe('usage', () => {
  it('adds uses and sets lastUsedAt without creating phantom items', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const at = new Date();

    expect(await store.recordUsage(input.tokenHash, 5, at)).toBe(true);
    expect(await store.recordUsage(input.tokenHash, 2, at)).toBe(true);
    expect(await store.recordUsage('f'.repeat(64), 1, at)).toBe(false);

    expect(await store.getByHash(input.tokenHash, { consistent: true })).toMatchObject({
      useCount: 7,
      lastUsedAt: at.toISOString(),
    });
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(1);
  });
});

describe('expiry alert leases', () => {
  const LEASE = 15 * 60_000;
  const system = { actor: 'system:expiry-alerts', requestId: 'run-1' };

  it('lets exactly one of many concurrent runs lease a threshold', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);

    const claims = await Promise.all(
      Array.from({ length: 10 }, () => store.claimExpiryAlert(input.tokenHash, 7, LEASE)),
    );

    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it('after confirmation never leases that threshold or a less urgent one again', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const claim = await store.claimExpiryAlert(input.tokenHash, 7, LEASE);
    if (claim === undefined) throw new Error('expected a lease');

    expect(await store.confirmExpiryAlert(claim, input, { severity: 'high' }, system)).toBe(true);

    expect(await store.claimExpiryAlert(input.tokenHash, 7, LEASE)).toBeUndefined();
    expect(await store.claimExpiryAlert(input.tokenHash, 14, LEASE)).toBeUndefined();
    expect(await store.claimExpiryAlert(input.tokenHash, 1, LEASE)).toBeDefined();
    expect((await store.getByHash(input.tokenHash, { consistent: true }))?.alertedDays).toBe(7);
    const audit = await store.listAudit(input.tokenId);
    expect(audit.items[0]).toMatchObject({
      action: 'token.expiry-alerted',
      actor: 'system:expiry-alerts',
      requestId: 'run-1',
      details: { severity: 'high', days: '7' },
    });
  });

  it('lets the next run lease again at once after a release', async () => {
    const store = dynamo.store();
    const { input } = newTestToken();
    await store.create(input, admin);
    const claim = await store.claimExpiryAlert(input.tokenHash, 30, LEASE);
    if (claim === undefined) throw new Error('expected a lease');

    await store.releaseExpiryAlert(claim);

    expect(await store.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeDefined();
    expect((await store.getByHash(input.tokenHash, { consistent: true }))?.alertedDays).toBe(
      undefined,
    );
  });

  it('takes over a lease its holder never finished once it lapses, and not before', async () => {
    let now = clockStart();
    const store = dynamo.store({ now: () => now });
    const { input } = newTestToken({}, now);
    await store.create(input, admin);
    const stale = await store.claimExpiryAlert(input.tokenHash, 30, LEASE);
    if (stale === undefined) throw new Error('expected a lease');

    now = new Date(now.getTime() + LEASE - 1);
    expect(await store.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    now = new Date(now.getTime() + 1);
    const fresh = await store.claimExpiryAlert(input.tokenHash, 30, LEASE);

    expect(fresh).toBeDefined();
    // The old holder can no longer confirm or release what it lost.
    expect(await store.confirmExpiryAlert(stale, input, {}, system)).toBe(false);
    await store.releaseExpiryAlert(stale);
    expect(await store.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    expect((await store.listAudit(input.tokenId)).items.map((e) => e.action)).toEqual([
      'token.created',
    ]);
  });

  it('leases nothing for a revoked, rotated-out or unknown token, and creates no item', async () => {
    const store = dynamo.store();
    const revoked = newTestToken();
    const rotated = newTestToken();
    await store.create(revoked.input, admin);
    await store.create(rotated.input, admin);
    await store.revoke(revoked.input.tokenHash, admin);
    await store.markRotated(
      rotated.input.tokenHash,
      { successorId: 'tok_next', graceUntil: new Date(Date.now() + DAY_MS) },
      admin,
    );

    expect(await store.claimExpiryAlert(revoked.input.tokenHash, 30, LEASE)).toBeUndefined();
    expect(await store.claimExpiryAlert(rotated.input.tokenHash, 30, LEASE)).toBeUndefined();
    expect(await store.claimExpiryAlert('e'.repeat(64), 30, LEASE)).toBeUndefined();
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(2);
  });
});

describe('retiring ended tokens', () => {
  const cleanup = { actor: 'system:cleanup', requestId: 'run-1' };

  it('marks an expired token expired, takes it out of the expiry index, and audits it', async () => {
    let now = clockStart();
    const store = dynamo.store({ now: () => now, retentionDays: 90 });
    const retiring = dynamo.store({ now: () => now, retentionDays: 30 });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await store.create(input, admin);

    expect((await store.expire(input.tokenHash, cleanup)).changed).toBe(false);
    now = new Date(now.getTime() + DAY_MS);
    const result = await retiring.expire(input.tokenHash, cleanup);

    expect(result).toMatchObject({ changed: true, record: { status: 'expired' } });
    expect((await store.listEnding({ until: new Date(now.getTime() + 1) })).items).toEqual([]);
    const [item] = await dynamo.scanAll(dynamo.tables().tokens);
    expect(item).not.toHaveProperty('expiryPartition');
    // The retiring store's retention, not the creator's: expire sets the TTL itself.
    expect(item?.['ttl']).toBe(Date.parse(input.expiresAt.toISOString()) / 1000 + 30 * 86_400);
    expect((await store.listAudit(input.tokenId)).items[0]).toMatchObject({
      action: 'token.expired',
      actor: 'system:cleanup',
      details: { endedAt: input.expiresAt.toISOString() },
    });
  });

  it('ends a predecessor whose grace passed as grace-ended, denied as past-grace', async () => {
    let now = clockStart();
    const store = dynamo.store({ now: () => now });
    const { input } = newTestToken({}, now);
    await store.create(input, admin);
    const graceUntil = new Date(now.getTime() + DAY_MS);
    await store.markRotated(input.tokenHash, { successorId: 'tok_next', graceUntil }, admin);

    now = graceUntil;
    const result = await store.expire(input.tokenHash, cleanup);

    expect(result.record.status).toBe('expired');
    expect(evaluateRecord(result.record, now)).toMatchObject({ reason: 'past-grace' });
    expect((await store.listAudit(input.tokenId)).items[0]).toMatchObject({
      action: 'token.grace-ended',
    });
  });

  it('changes a token once when runs overlap, with one audit event', async () => {
    let now = clockStart();
    const store = dynamo.store({ now: () => now });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await store.create(input, admin);
    now = new Date(now.getTime() + 2 * DAY_MS);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.expire(input.tokenHash, cleanup)),
    );

    expect(results.filter((r) => r.changed)).toHaveLength(1);
    const actions = (await store.listAudit(input.tokenId)).items.map((e) => e.action);
    expect(actions.filter((a) => a === 'token.expired')).toHaveLength(1);
  });

  it('leaves revoked tokens alone', async () => {
    let now = clockStart();
    const store = dynamo.store({ now: () => now });
    const { input } = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
    await store.create(input, admin);
    await store.revoke(input.tokenHash, admin);
    now = new Date(now.getTime() + 2 * DAY_MS);

    expect(await store.expire(input.tokenHash, cleanup)).toMatchObject({
      changed: false,
      record: { status: 'revoked' },
    });
  });
});

describe('secrets at rest', () => {
  it('keeps every plaintext out of token items and audit events', async () => {
    const store = dynamo.store();
    const issued = Array.from({ length: 3 }, () => newTestToken());
    for (const { input } of issued) await store.create(input, admin);
    const [first, second] = issued;
    if (first === undefined || second === undefined) throw new Error('fixture');
    await store.revoke(first.input.tokenHash, { ...admin, reason: 'rotated out' });
    await store.markRotated(
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
