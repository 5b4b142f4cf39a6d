/** The alert lease repository against DynamoDB Local: one holder per alert, lapsing leases. */
import { describe, expect, it } from 'vitest';
import { clockStart, DAY_MS, newTestToken } from '../../support/tokens';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const admin = { actor: 'tok_admin', requestId: 'req-1' };

describe('expiry alert leases', () => {
  const LEASE = 15 * 60_000;
  const system = { actor: 'system:expiry-alerts', requestId: 'run-1' };

  it('lets exactly one of many concurrent runs lease a threshold', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);

    const claims = await Promise.all(
      Array.from({ length: 10 }, () => stores.alerts.claimExpiryAlert(input.tokenHash, 7, LEASE)),
    );

    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
  });

  it('after confirmation never leases that threshold or a less urgent one again', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const claim = await stores.alerts.claimExpiryAlert(input.tokenHash, 7, LEASE);
    if (claim === undefined) throw new Error('expected a lease');

    expect(await stores.alerts.confirmExpiryAlert(claim, input, { severity: 'high' }, system)).toBe(
      true,
    );

    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 7, LEASE)).toBeUndefined();
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 14, LEASE)).toBeUndefined();
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 1, LEASE)).toBeDefined();
    expect(
      (await stores.tokens.getByHash(input.tokenHash, { consistent: true }))?.alertedDays,
    ).toBe(7);
    const audit = await stores.audit.listByTarget(input.tokenId);
    expect(audit.items[0]).toMatchObject({
      action: 'token.expiry-alerted',
      actor: 'system:expiry-alerts',
      requestId: 'run-1',
      details: { severity: 'high', days: '7' },
    });
  });

  it('lets the next run lease again at once after a release', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);
    const claim = await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE);
    if (claim === undefined) throw new Error('expected a lease');

    await stores.alerts.releaseExpiryAlert(claim);

    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeDefined();
    expect(
      (await stores.tokens.getByHash(input.tokenHash, { consistent: true }))?.alertedDays,
    ).toBe(undefined);
  });

  it('takes over a lease its holder never finished once it lapses, and not before', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const { input } = newTestToken({}, now);
    await stores.tokens.create(input, admin);
    const stale = await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE);
    if (stale === undefined) throw new Error('expected a lease');

    now = new Date(now.getTime() + LEASE - 1);
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    now = new Date(now.getTime() + 1);
    const fresh = await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE);

    expect(fresh).toBeDefined();
    // The old holder can no longer confirm or release what it lost.
    expect(await stores.alerts.confirmExpiryAlert(stale, input, {}, system)).toBe(false);
    await stores.alerts.releaseExpiryAlert(stale);
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    expect((await stores.audit.listByTarget(input.tokenId)).items.map((e) => e.action)).toEqual([
      'token.created',
    ]);
  });

  it('leases nothing for a revoked, rotated-out or unknown token, and creates no item', async () => {
    const stores = dynamo.stores();
    const revoked = newTestToken();
    const rotated = newTestToken();
    await stores.tokens.create(revoked.input, admin);
    await stores.tokens.create(rotated.input, admin);
    await stores.tokens.revoke(revoked.input.tokenHash, admin);
    await stores.rotations.markRotated(
      rotated.input.tokenHash,
      { successorId: 'tok_next', graceUntil: new Date(Date.now() + DAY_MS) },
      admin,
    );

    expect(
      await stores.alerts.claimExpiryAlert(revoked.input.tokenHash, 30, LEASE),
    ).toBeUndefined();
    expect(
      await stores.alerts.claimExpiryAlert(rotated.input.tokenHash, 30, LEASE),
    ).toBeUndefined();
    expect(await stores.alerts.claimExpiryAlert('e'.repeat(64), 30, LEASE)).toBeUndefined();
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(2);
  });
});

describe('alert leases by kind', () => {
  const LEASE = 15 * 60_000;

  it('leases neither an expiry alert nor a rotation-due report on a bootstrap token: its kind gets no alerts', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken({ kind: 'bootstrap' });
    await stores.tokens.create(input, admin);

    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    expect(await stores.alerts.claimRotationDue(input.tokenHash, LEASE)).toBeUndefined();
  });

  it('leases both on an operational token, one at a time: they share the lease', async () => {
    const stores = dynamo.stores();
    const { input } = newTestToken();
    await stores.tokens.create(input, admin);

    const due = await stores.alerts.claimRotationDue(input.tokenHash, LEASE);
    expect(due).toMatchObject({ tokenHash: input.tokenHash, days: 0 });
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeUndefined();
    if (due === undefined) throw new Error('expected a lease');
    expect(await stores.alerts.confirmRotationDue(due, input, {}, admin)).toBe(true);

    expect(await stores.alerts.claimRotationDue(input.tokenHash, LEASE)).toBeUndefined();
    expect(await stores.alerts.claimExpiryAlert(input.tokenHash, 30, LEASE)).toBeDefined();
  });
});
