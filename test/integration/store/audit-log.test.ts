/** The audit log against DynamoDB Local: events on their own, by target and by day. */
import { describe, expect, it } from 'vitest';
import { clockStart } from '../../support/tokens';
import { storeError } from './fixture';
import { useDynamo } from '../../support/dynamo';

const dynamo = useDynamo();
const refused = { action: 'token.refused', outcome: 'failure' } as const;

describe('the audit log', () => {
  it('appends an event on its own, listed under its target, newest first', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });

    await stores.audit.append(
      { ...refused, targetId: 'tok_a', owner: 'team-a', details: { why: 'scope' } },
      { actor: 'tok_first', requestId: 'req-1', reason: 'denied' },
    );
    now = new Date(now.getTime() + 1000);
    await stores.audit.append({ ...refused, targetId: 'tok_a' }, { actor: 'tok_second' });
    await stores.audit.append({ ...refused, targetId: 'tok_other' }, { actor: 'tok_third' });

    const { items, cursor } = await stores.audit.listByTarget('tok_a');
    expect(items.map((event) => event.actor)).toEqual(['tok_second', 'tok_first']);
    expect(items[1]).toMatchObject({
      action: 'token.refused',
      outcome: 'failure',
      owner: 'team-a',
      requestId: 'req-1',
      reason: 'denied',
      details: { why: 'scope' },
      at: clockStart().toISOString(),
    });
    expect(cursor).toBeUndefined();
  });

  it('pages through one UTC day of events by the day index, and refuses a cursor of another day', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const day = now.toISOString().slice(0, 10);
    for (const target of ['tok_a', 'tok_b', 'tok_c']) {
      await stores.audit.append({ ...refused, targetId: target }, { actor: 'tok_admin' });
      now = new Date(now.getTime() + 1000);
    }

    const first = await stores.audit.listByDay(day, { limit: 2 });
    const second = await stores.audit.listByDay(day, { limit: 2, cursor: first.cursor });

    expect([...first.items, ...second.items].map((event) => event.targetId)).toEqual([
      'tok_c',
      'tok_b',
      'tok_a',
    ]);
    const otherDay = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
    const error = await storeError(stores.audit.listByDay(otherDay, { cursor: first.cursor }));
    expect(error.code).toBe('invalid-cursor');
  });

  it('keeps an event for the audit retention period, then TTL deletes it', async () => {
    const now = clockStart();
    const stores = dynamo.stores({ now: () => now, auditRetentionDays: 10 });

    await stores.audit.append({ ...refused, targetId: 'tok_a' }, { actor: 'tok_admin' });

    const [item] = await dynamo.scanAll(dynamo.tables().audit);
    expect(item?.['ttl']).toBe(now.getTime() / 1000 + 10 * 86_400);
  });
});
