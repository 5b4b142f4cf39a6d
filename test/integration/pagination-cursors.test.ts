/**
 * Pagination cursors on every listing route, through the management API's handler against
 * DynamoDB Local: a cursor is accepted only in exactly the shape its own query produces, and
 * a tampered one is a 400 (never a 503 from DynamoDB refusing the start key). A cursor naming
 * another tenant's token answers exactly as one naming no token at all.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { localDynamoClient } from '../../local/aws/clients';
import { Cleanup } from '../../shared/schedules/cleanup';
import {
  cursorWorld,
  decodeCursor,
  encodeCursor,
  INVALID_CURSOR,
  type ListingRoute,
} from '../support/cursors';
import { useDynamo } from '../support/dynamo';
import { startDynamoProxy } from '../support/dynamo-proxy';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();

const ids = z.array(z.object({ tokenId: z.optional(z.string()), eventId: z.optional(z.string()) }));

const ROUTES = [
  'GET /tokens (own owner)',
  'GET /tokens?expiringBefore (own owner)',
  'GET /tokens?expiringBefore (admin, expiry index)',
  'GET /tokens?owner&expiringBefore (admin)',
  'GET /audit?targetId',
  'GET /audit?day',
  'GET /rotation-requests',
];

type Cursor = Record<string, unknown>;

function without(cursor: Cursor, key: string): Cursor {
  return Object.fromEntries(Object.entries(cursor).filter(([name]) => name !== key));
}

/** The tampering examples of the finding, applied to a real cursor of `route`. */
function tamperings(route: ListingRoute): [string, (cursor: Cursor) => Cursor][] {
  const sort = route.sortKey;
  return [
    ['an empty sort key', (c) => ({ ...c, [sort]: '' })],
    ['no sort key', (c) => without(c, sort)],
    ['an extra key', (c) => ({ ...c, extra: 'x' })],
    ['a number for the sort key', (c) => ({ ...c, [sort]: 1_700_000_000 })],
    ['a sort key that is not a timestamp', (c) => ({ ...c, [sort]: 'yesterday' })],
  ];
}

async function worldWith(name: string, options: { now?: () => Date } = {}) {
  const w = await cursorWorld(dynamo.stores(), options);
  const route = w.routes.find((r) => r.name === name);
  if (route === undefined) throw new Error(`no route ${name}`);
  /** Every page after `cursor`, at `limit: 1`, as item ids. */
  const rest = async (cursor: string) => {
    const items: z.infer<typeof ids> = [];
    let next: unknown = cursor;
    for (let pages = 0; typeof next === 'string' && pages < 50; pages++) {
      const reply = await w.list(route, { limit: '1', cursor: next });
      expect(reply.status, reply.text).toBe(200);
      items.push(...ids.parse(reply.body['items']));
      next = reply.body['cursor'];
    }
    return items;
  };
  return { ...w, route, rest };
}

describe('pagination cursors: tampering is a 400 invalid-cursor, never a 503', () => {
  it.each(ROUTES)('%s refuses every tampered cursor with 400', async (name) => {
    const w = await worldWith(name);
    const real = decodeCursor(await w.realCursor(w.route));

    const replies = [];
    for (const [how, tamper] of tamperings(w.route)) {
      const reply = await w.list(w.route, { limit: '1', cursor: encodeCursor(tamper(real)) });
      replies.push({ how, status: reply.status, body: reply.body });
    }

    expect(replies).toEqual(
      tamperings(w.route).map(([how]) => ({ how, status: 400, body: { message: INVALID_CURSOR } })),
    );
  });

  it.each(ROUTES)('%s pages through the whole listing with its own cursors', async (name) => {
    const w = await worldWith(name);
    const everything = await w.list(w.route, { limit: '100' });

    const first = await w.list(w.route, { limit: '1' });
    const paged = [
      ...ids.parse(first.body['items']),
      ...(await w.rest(z.string().parse(first.body['cursor']))),
    ];

    expect(paged).toEqual(ids.parse(everything.body['items']));
    expect(paged.length).toBeGreaterThan(1);
  });
});

describe('pagination cursors: a cursor only names a token at its own position', () => {
  it.each(['GET /tokens (own owner)', 'GET /tokens?expiringBefore (own owner)'])(
    "%s: another tenant's token id answers exactly like an unknown one",
    async (name) => {
      const w = await worldWith(name);
      const real = decodeCursor(await w.realCursor(w.route));

      const foreign = await w.list(w.route, {
        cursor: encodeCursor({ ...real, tokenId: w.other.tokenId }),
      });
      const unknown = await w.list(w.route, {
        cursor: encodeCursor({ ...real, tokenId: 'tok_0000000000000000' }),
      });

      expect({ status: foreign.status, text: foreign.text }).toEqual({
        status: unknown.status,
        text: unknown.text,
      });
      expect(unknown).toMatchObject({ status: 400, body: { message: INVALID_CURSOR } });
    },
  );

  it("does the same DynamoDB work for another tenant's token id as for an unknown one", async () => {
    const proxy = await startDynamoProxy(inject('dynamoEndpoint'));
    const client = localDynamoClient(proxy.endpoint);
    try {
      const w = await cursorWorld(dynamo.stores({ client }));
      const route = w.routes.find((r) => r.name === 'GET /tokens (own owner)');
      if (route === undefined) throw new Error('no owner route');
      const real = decodeCursor(await w.realCursor(route));
      const work = async (tokenId: string) => {
        proxy.reset();
        await w.list(route, { cursor: encodeCursor({ ...real, tokenId }) });
        return Object.fromEntries(proxy.calls);
      };

      expect(await work(w.other.tokenId)).toEqual(await work('tok_0000000000000000'));
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it.each(ROUTES.filter((name) => !name.startsWith('GET /audit')))(
    '%s refuses a cursor naming a token of the listing at a position it never held',
    async (name) => {
      const w = await worldWith(name);
      const real = decodeCursor(await w.realCursor(w.route));
      const sortValue = z.string().parse(real[w.route.sortKey]);
      const shifted = new Date(Date.parse(sortValue) + 1).toISOString();
      // Another token of team-a: at another position of every token listing, and (the last
      // one) with no rotation request at all.
      const idle = [w.teamA[2], w.teamA[0]].find((t) => t?.tokenId !== real['tokenId'])?.tokenId;

      const moved = await w.list(w.route, {
        cursor: encodeCursor({ ...real, [w.route.sortKey]: shifted }),
      });
      const elsewhere = await w.list(w.route, { cursor: encodeCursor({ ...real, tokenId: idle }) });

      expect(moved).toMatchObject({ status: 400, body: { message: INVALID_CURSOR } });
      expect(elsewhere).toMatchObject({ status: 400, body: { message: INVALID_CURSOR } });
    },
  );

  it.each(['GET /audit?targetId', 'GET /audit?day'])(
    "%s refuses a cursor for another partition's events",
    async (name) => {
      const w = await worldWith(name);
      const real = decodeCursor(await w.realCursor(w.route));
      const partition = name.endsWith('targetId') ? 'targetId' : 'day';
      const otherValue = partition === 'day' ? '2001-01-01' : w.other.tokenId;

      const reply = await w.list(w.route, {
        cursor: encodeCursor({ ...real, [partition]: otherValue }),
      });

      expect(reply).toMatchObject({ status: 400, body: { message: INVALID_CURSOR } });
    },
  );
});

describe('pagination cursors: a real cursor survives changes between its pages', () => {
  it('the expiry listing pages on after the token its cursor names has ended', async () => {
    let offset = 0;
    const w = await worldWith('GET /tokens?expiringBefore (admin, expiry index)', {
      now: () => new Date(Date.now() + offset),
    });
    const cursor = await w.realCursor(w.route);

    // The window starts at "now": the next page's window starts past the cursor's token.
    offset = 10.5 * DAY_MS;
    const rest = await w.rest(cursor);

    const listedNow = await w.list(w.route, { limit: '100' });
    expect(rest).toEqual(ids.parse(listedNow.body['items']));
    expect(rest).toHaveLength(3);
  });

  it.each(['revoked', 'rotated'])(
    'the expiry listing pages on after the token its cursor names was %s',
    async (change) => {
      const w = await worldWith('GET /tokens?expiringBefore (admin, expiry index)');
      const before = ids.parse((await w.list(w.route, { limit: '100' })).body['items']);
      const cursor = await w.realCursor(w.route);
      const first = String(w.teamA[0]?.tokenId);

      const changed =
        change === 'revoked'
          ? await w.call(w.admin, 'DELETE', `/tokens/${first}`)
          : await w.call(w.admin, 'POST', `/tokens/${first}/rotate`, { body: { graceDays: 1 } });
      expect(changed.status, changed.text).toBeLessThan(300);

      // Rotated: its grace deadline moves it before the cursor; its successor ends after it.
      const successor = change === 'rotated' ? changed.body['tokenId'] : undefined;
      const rest = (await w.rest(cursor)).filter((item) => item.tokenId !== successor);
      expect(rest).toEqual(before.slice(1));
    },
  );

  it('the request queue pages on after the request its cursor names was decided', async () => {
    const w = await worldWith('GET /rotation-requests');
    const [first, second] = w.teamA;
    const cursor = await w.realCursor(w.route);

    await w.stores.requests.decideRotation(
      String(first?.tokenHash),
      { requestId: `rrq_${String(first?.tokenId.slice(4))}`, approve: false },
      { actor: w.admin.tokenId },
    );

    expect(await w.rest(cursor)).toEqual([expect.objectContaining({ tokenId: second?.tokenId })]);
  });
});

describe('pagination cursors: schedules page through what they change', () => {
  it('cleanup retires ended tokens and closes lapsed requests one page at a time', async () => {
    let now = clockStart();
    const stores = dynamo.stores({ now: () => now });
    const context = { actor: 'test:setup' };
    for (let i = 0; i < 3; i++) {
      const ending = newTestToken({ expiresAt: new Date(now.getTime() + DAY_MS) }, now);
      await stores.tokens.create(ending.input, context);
      const asked = newTestToken({}, now);
      await stores.tokens.create(asked.input, context);
      const requestId = `rrq_${asked.input.tokenId.slice(4)}`;
      await stores.requests.requestRotation(
        asked.input.tokenHash,
        { requestId, reason: 'leak' },
        context,
      );
    }

    // Each page's items leave the index before the next page is read with its cursor.
    now = new Date(now.getTime() + 8 * DAY_MS);
    const report = await new Cleanup({ stores, now: () => now, pageSize: 1 }).run({
      actor: 'system:cleanup',
    });

    expect(report).toMatchObject({ expired: 3, requestsExpired: 3, failures: [], complete: true });
  });
});
