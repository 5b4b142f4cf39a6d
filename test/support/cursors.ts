/**
 * A world for pagination-cursor tests: every listing route of the management API with data
 * enough for two pages, a real cursor per route, and a token of another tenant to name in one.
 */
import { z } from 'zod';
import type { PlatformStores as Stores } from '../../shared/store';
import { apiClient, type ApiCall } from './api';
import { DAY_MS, seedCaller } from './tokens';

/** The router's answer to every cursor the store refuses. */
export const INVALID_CURSOR = 'The pagination cursor is invalid for this query';

export type Caller = Awaited<ReturnType<typeof seedCaller>>;

/** One listing route: who calls it, with which query, and which cursor key sorts it. */
export interface ListingRoute {
  readonly name: string;
  readonly caller: Caller;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly sortKey: string;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, unknown> {
  return z
    .record(z.string(), z.unknown())
    .parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
}

/**
 * Three team-a tokens besides the caller, one team-b token, two pending rotation requests and
 * their audit events; every route has a second page at `limit: 1`.
 */
export async function cursorWorld(stores: Stores, options: { now?: () => Date } = {}) {
  const call = apiClient(stores, options);
  // A second apart, so that no two tokens share a position in the owner index.
  const start = Date.now() - 60_000;
  const at = (second: number) => ({ now: new Date(start + second * 1000) });
  const admin = await seedCaller(stores.tokens, 'platform', ['admin'], at(0));
  const writer = await seedCaller(stores.tokens, 'team-a', ['tokens:read', 'orders:read'], at(1));
  const teamA = [];
  for (let days = 10; days <= 12; days++) {
    teamA.push(
      await seedCaller(stores.tokens, 'team-a', ['orders:read'], {
        ...at(days - 8),
        expiresInDays: days,
      }),
    );
  }
  const other = await seedCaller(stores.tokens, 'team-b', ['orders:read'], {
    ...at(5),
    expiresInDays: 11,
  });
  for (const token of teamA.slice(0, 2)) {
    await stores.requests.requestRotation(
      token.tokenHash,
      { requestId: `rrq_${token.tokenId.slice(4)}`, reason: 'leaked in a log' },
      { actor: writer.tokenId },
    );
  }
  const soon = new Date(Date.now() + 30 * DAY_MS).toISOString();
  const [first] = teamA;
  if (first === undefined) throw new Error('no team-a token');
  const [created] = (await stores.audit.listByTarget(first.tokenId)).items;
  if (created === undefined) throw new Error('no audit event');
  const today = created.at.slice(0, 10);
  const routes: ListingRoute[] = [
    {
      name: 'GET /tokens (own owner)',
      caller: writer,
      path: '/tokens',
      query: {},
      sortKey: 'createdAt',
    },
    {
      name: 'GET /tokens?expiringBefore (own owner)',
      caller: writer,
      path: '/tokens',
      query: { expiringBefore: soon },
      sortKey: 'createdAt',
    },
    {
      name: 'GET /tokens?expiringBefore (admin, expiry index)',
      caller: admin,
      path: '/tokens',
      query: { expiringBefore: soon },
      sortKey: 'endsAt',
    },
    {
      name: 'GET /tokens?owner&expiringBefore (admin)',
      caller: admin,
      path: '/tokens',
      query: { owner: 'team-a', expiringBefore: soon },
      sortKey: 'createdAt',
    },
    {
      name: 'GET /audit?targetId',
      caller: admin,
      path: '/audit',
      query: { targetId: first.tokenId },
      sortKey: 'eventKey',
    },
    {
      name: 'GET /audit?day',
      caller: admin,
      path: '/audit',
      query: { day: today },
      sortKey: 'eventKey',
    },
    {
      name: 'GET /rotation-requests',
      caller: admin,
      path: '/rotation-requests',
      query: { state: 'pending' },
      sortKey: 'requestDeadline',
    },
  ];

  const list = (route: ListingRoute, call_: ApiCall['query'] = {}) =>
    call(route.caller, 'GET', route.path, { query: { ...route.query, ...call_ } });

  /** The cursor after the first item of the route's listing. */
  const realCursor = async (route: ListingRoute): Promise<string> => {
    const reply = await list(route, { limit: '1' });
    const cursor = reply.body['cursor'];
    if (reply.status !== 200 || typeof cursor !== 'string') {
      throw new Error(`${route.name} gave no cursor: ${reply.text}`);
    }
    return cursor;
  };

  return { stores, call, admin, writer, teamA, other, routes, list, realCursor };
}
