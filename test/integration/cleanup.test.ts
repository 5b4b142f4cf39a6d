/**
 * The cleanup run on DynamoDB Local with a clock the test moves: what it retires, what it
 * leaves alone, its audit events, paging, overlap and partial failure.
 */
import { describe, expect, it } from 'vitest';
import { Cleanup } from '../../shared/schedules/cleanup';
import type { TokenRepository } from '../../shared/store';
import { TokenStoreError } from '../../shared/store/errors';
import { useDynamo } from '../support/dynamo';
import { overriding } from '../support/stores';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const admin = { actor: 'tok_admin' };
const run = { actor: 'system:cleanup', requestId: 'run-1' };

function world() {
  const start = clockStart();
  let now = start;
  const stores = dynamo.stores({ now: () => now, retentionDays: 90 });
  return {
    stores,
    now: () => now,
    cleanup: (pageSize?: number) =>
      new Cleanup({ stores, now: () => now, ...(pageSize ? { pageSize } : {}) }),
    at: (days: number) => {
      now = new Date(start.getTime() + days * DAY_MS);
    },
    issue: async (expiresInDays: number) => {
      const issued = newTestToken(
        { expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS) },
        now,
      );
      await stores.tokens.create(issued.input, admin);
      return issued.input;
    },
    status: async (tokenHash: string) =>
      (await stores.tokens.getByHash(tokenHash, { consistent: true }))?.status,
  };
}

describe('cleanup', () => {
  it('retires expired tokens and predecessors past grace, and nothing else', async () => {
    const w = world();
    const expired = await w.issue(1);
    const pastGrace = await w.issue(60);
    const inGrace = await w.issue(60);
    const live = await w.issue(30);
    const revoked = await w.issue(1);
    await w.stores.rotations.markRotated(
      pastGrace.tokenHash,
      {
        successorId: 'tok_a',
        graceUntil: new Date(Date.parse(pastGrace.createdAt.toISOString()) + DAY_MS),
      },
      admin,
    );
    await w.stores.rotations.markRotated(
      inGrace.tokenHash,
      {
        successorId: 'tok_b',
        graceUntil: new Date(Date.parse(inGrace.createdAt.toISOString()) + 7 * DAY_MS),
      },
      admin,
    );
    await w.stores.tokens.revoke(revoked.tokenHash, admin);
    w.at(2);

    const report = await w.cleanup().run(run);

    expect(report).toMatchObject({ itemsRead: 2, expired: 1, graceEnded: 1, unchanged: 0 });
    expect(report.failures).toEqual([]);
    expect(await w.status(expired.tokenHash)).toBe('expired');
    expect(await w.status(pastGrace.tokenHash)).toBe('expired');
    expect(await w.status(inGrace.tokenHash)).toBe('active');
    expect(await w.status(live.tokenHash)).toBe('active');
    expect(await w.status(revoked.tokenHash)).toBe('revoked');
    const [expiredEvent] = (await w.stores.audit.listByTarget(expired.tokenId)).items;
    const [graceEvent] = (await w.stores.audit.listByTarget(pastGrace.tokenId)).items;
    expect(expiredEvent).toMatchObject({
      action: 'token.expired',
      actor: 'system:cleanup',
      requestId: 'run-1',
      outcome: 'success',
    });
    expect(graceEvent).toMatchObject({ action: 'token.grace-ended', actor: 'system:cleanup' });
  });

  it('sets every retired token to be deleted the retention period after it ended', async () => {
    const w = world();
    const token = await w.issue(1); // created with a 90-day retention
    w.at(5);

    // The cleanup runs with 30 days: the TTL it writes is the one that counts.
    await new Cleanup({ stores: dynamo.stores({ now: w.now, retentionDays: 30 }), now: w.now }).run(
      run,
    );

    const items = await dynamo.scanAll(dynamo.tables().tokens);
    expect(items).toEqual([
      expect.objectContaining({
        tokenHash: token.tokenHash,
        ttl: token.expiresAt.getTime() / 1000 + 30 * 86_400,
      }),
    ]);
    expect(items[0]).not.toHaveProperty('expiryPartition');
  });

  it('reads nothing on the next run: retired tokens leave the expiry index', async () => {
    const w = world();
    await Promise.all(Array.from({ length: 8 }, () => w.issue(1)));
    w.at(2);

    const first = await w.cleanup().run(run);
    const second = await w.cleanup().run(run);

    expect(first).toMatchObject({ itemsRead: 8, expired: 8 });
    expect(second).toMatchObject({ itemsRead: 0, expired: 0, complete: true });
  });

  it('retires each token once, with one audit event, when runs overlap', async () => {
    const w = world();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => w.issue(1)));
    w.at(2);

    const reports = await Promise.all(Array.from({ length: 4 }, () => w.cleanup(3).run(run)));

    expect(reports.reduce((sum, r) => sum + r.expired, 0)).toBe(10);
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    for (const token of tokens) {
      const actions = (await w.stores.audit.listByTarget(token.tokenId)).items.map((e) => e.action);
      expect(actions.filter((a) => a === 'token.expired')).toHaveLength(1);
    }
  });

  it('pages through a backlog, stopping between pages when time runs out', async () => {
    const w = world();
    await Promise.all(Array.from({ length: 30 }, () => w.issue(1)));
    w.at(2);
    let pages = 0;

    const partial = await w.cleanup(10).run(run, () => pages++ < 2);
    const rest = await w.cleanup(10).run(run);

    expect(partial).toMatchObject({ complete: false, expired: 20 });
    expect(rest).toMatchObject({ complete: true, expired: 10 });
  });

  it('counts a token the index still lists but TTL already deleted as nothing to do', async () => {
    const w = world();
    const real = await w.issue(1);
    const deleted = newTestToken({}, w.now()).input;
    w.at(2);
    const stale = overriding(w.stores, 'tokens', {
      listEnding: async (...args: Parameters<TokenRepository['listEnding']>) => {
        const page = await w.stores.tokens.listEnding(...args);
        const ghosts = page.items
          .slice(0, 1)
          .map((item) => ({ ...item, tokenHash: deleted.tokenHash, tokenId: deleted.tokenId }));
        return { ...page, items: [...page.items, ...ghosts] };
      },
    });

    const report = await new Cleanup({ stores: stale, now: w.now }).run(run);

    expect(report).toMatchObject({ itemsRead: 2, expired: 1, unchanged: 1, failures: [] });
    expect(await w.status(real.tokenHash)).toBe('expired');
  });

  it('reports a token it could not retire, retires the rest, and gets it on the next run', async () => {
    const w = world();
    const [stuck, other] = [await w.issue(1), await w.issue(1)];
    w.at(2);
    let failOnce = true;
    const flaky = overriding(w.stores, 'tokens', {
      expire: (tokenHash: string, context: typeof run) => {
        if (tokenHash === stuck.tokenHash && failOnce) {
          failOnce = false;
          return Promise.reject(new TokenStoreError('throttled', 'DynamoDB throttled expire'));
        }
        return w.stores.tokens.expire(tokenHash, context);
      },
    });

    const failed = await new Cleanup({ stores: flaky, now: w.now }).run(run);
    const retried = await w.cleanup().run(run);

    expect(failed.failures).toEqual([
      { tokenId: stuck.tokenId, error: 'TokenStoreError:throttled' },
    ]);
    expect(failed.expired).toBe(1);
    expect(await w.status(other.tokenHash)).toBe('expired');
    expect(retried).toMatchObject({ itemsRead: 1, expired: 1 });
    expect(await w.status(stuck.tokenHash)).toBe('expired');
  });
});
