/** The bootstrap repository against DynamoDB Local: a bootstrap token is exchanged once. */
import { describe, expect, it } from 'vitest';
import { clockStart, newTestToken } from '../../support/tokens';
import { storeError } from './fixture';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const admin = { actor: 'tok_admin', requestId: 'req-1' };
const HOUR_MS = 3_600_000;

describe('the bootstrap exchange', () => {
  it('marks the bootstrap token used, naming its operational token, both audited', async () => {
    const now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const bootstrap = await stores.tokens.create(
      newTestToken({ kind: 'bootstrap', expiresAt: new Date(now.getTime() + HOUR_MS) }, now).input,
      admin,
    );
    const { input } = newTestToken({}, now);

    const operational = await stores.bootstrap.exchangeBootstrap(bootstrap, input, admin);

    expect(operational).toMatchObject({ tokenId: input.tokenId, status: 'active' });
    expect(await stores.tokens.getByHash(bootstrap.tokenHash, { consistent: true })).toMatchObject({
      status: 'used',
      exchangedFor: input.tokenId,
      exchangedAt: now.toISOString(),
    });
    const [created] = (await stores.audit.listByTarget(input.tokenId)).items;
    expect(created).toMatchObject({
      action: 'token.created',
      details: { bootstrapId: bootstrap.tokenId },
    });
    const events = (await stores.audit.listByTarget(bootstrap.tokenId)).items;
    expect(events.find((e) => e.action === 'token.exchanged')).toMatchObject({
      details: { exchangedFor: input.tokenId },
    });
  });

  it('lets exactly one of two concurrent exchanges of one bootstrap token win', async () => {
    const stores = dynamo.stores();
    const bootstrap = await stores.tokens.create(
      newTestToken({ kind: 'bootstrap', expiresAt: new Date(Date.now() + HOUR_MS) }).input,
      admin,
    );

    const results = await Promise.allSettled(
      [newTestToken(), newTestToken()].map(({ input }) =>
        stores.bootstrap.exchangeBootstrap(bootstrap, input, admin),
      ),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({
      code: 'conflict',
    });
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(2);
  });

  it('refuses an operational token and an expired bootstrap token, writing nothing', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const operational = await stores.tokens.create(newTestToken({}, now).input, admin);
    const bootstrap = await stores.tokens.create(
      newTestToken({ kind: 'bootstrap', expiresAt: new Date(now.getTime() + HOUR_MS) }, now).input,
      admin,
    );
    now = new Date(now.getTime() + HOUR_MS);

    const notBootstrap = await storeError(
      stores.bootstrap.exchangeBootstrap(operational, newTestToken({}, now).input, admin),
    );
    const expired = await storeError(
      stores.bootstrap.exchangeBootstrap(bootstrap, newTestToken({}, now).input, admin),
    );

    expect(notBootstrap).toMatchObject({
      code: 'conflict',
      message: `${operational.tokenId} is not a bootstrap token`,
    });
    expect(expired.code).toBe('gone');
    expect(await dynamo.scanAll(dynamo.tables().tokens)).toHaveLength(2);
    expect(await dynamo.scanAll(dynamo.tables().audit)).toHaveLength(2);
  });
});
