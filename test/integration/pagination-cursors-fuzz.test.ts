/**
 * Fuzzing pagination cursors (fast-check) on every listing route of the management API against
 * DynamoDB Local: whatever cursor a caller sends (any text, base64url of any JSON, a real
 * cursor with keys dropped, added, retyped, emptied or pointed at other tokens), the answer is a
 * page or a 400, never a 5xx; and a tenant's cursor naming another tenant's token answers
 * exactly as the same cursor naming a token that does not exist.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TokenRecord } from '../../shared/token/record';
import { cursorWorld, decodeCursor, encodeCursor, type ListingRoute } from '../support/cursors';
import { useDynamo } from '../support/dynamo';

const dynamo = useDynamo();
const UNKNOWN_ID = 'tok_0000000000000000';

type Cursor = Record<string, unknown>;
type Mutation = (cursor: Cursor) => Cursor;

const page = z.strictObject({ items: z.array(z.unknown()), cursor: z.optional(z.string()) });
const refusal = z.strictObject({ message: z.string().min(1) });

async function fuzzWorld() {
  const w = await cursorWorld(dynamo.stores());
  const seeded = [w.admin, w.writer, ...w.teamA, w.other];
  const records: TokenRecord[] = [];
  for (const token of seeded) {
    const record = await w.stores.tokens.getById(token.tokenId);
    if (record !== undefined) records.push(record);
  }
  const real = new Map<string, Cursor>();
  for (const route of w.routes) real.set(route.name, decodeCursor(await w.realCursor(route)));
  // Positions and ids the cursors could be pointed at: every seeded token's, and none.
  const pool = {
    tokenIds: [UNKNOWN_ID, ...records.map((r) => r.tokenId)],
    times: [
      ...records.flatMap((r) => [r.createdAt, r.expiresAt]),
      ...[...real.values()].flatMap((c) => Object.values(c).filter((v) => typeof v === 'string')),
    ],
  };
  const realOf = (route: ListingRoute): Cursor => real.get(route.name) ?? {};
  return { ...w, pool, realOf };
}

type FuzzWorld = Awaited<ReturnType<typeof fuzzWorld>>;

const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);

/** One edit of a real cursor of `route`. */
function mutation(w: FuzzWorld, route: ListingRoute): fc.Arbitrary<Mutation> {
  const key = fc.constantFrom(...Object.keys(w.realOf(route)));
  const set =
    (name: string, value: unknown): Mutation =>
    (c) => ({ ...c, [name]: value });
  return fc.oneof(
    key.map(
      (name): Mutation =>
        (c) =>
          Object.fromEntries(Object.entries(c).filter(([k]) => k !== name)),
    ),
    fc.tuple(fc.string(), fc.jsonValue()).map(([name, value]) => set(name, value)),
    fc.tuple(key, notAString).map(([name, value]) => set(name, value)),
    key.map((name) => set(name, '')),
    fc.tuple(key, fc.string()).map(([name, value]) => set(name, value)),
    fc.constantFrom(...w.pool.tokenIds).map((id) => set('tokenId', id)),
    fc.stringMatching(/^tok_[0-9A-Za-z]{16}$/).map((id) => set('tokenId', id)),
    fc.constantFrom(...w.pool.times).map((at) => set(route.sortKey, at)),
    fc
      .date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0)) })
      .map((at) => set(route.sortKey, at.toISOString())),
  );
}

function editedCursor(w: FuzzWorld, route: ListingRoute, maxEdits: number): fc.Arbitrary<Cursor> {
  return fc
    .array(mutation(w, route), { minLength: 0, maxLength: maxEdits })
    .map((edits) => edits.reduce((cursor, edit) => edit(cursor), w.realOf(route)));
}

/** Any cursor text for `route`: noise, JSON that is no cursor, and near-misses of a real one. */
function anyCursor(w: FuzzWorld, route: ListingRoute): fc.Arbitrary<string> {
  const real = encodeCursor(w.realOf(route));
  return fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.jsonValue().map(encodeCursor),
    editedCursor(w, route, 3).map(encodeCursor),
    fc.string({ minLength: 1, maxLength: 4 }).map((junk) => real + junk),
  );
}

describe('pagination cursors under fuzzing', () => {
  it('answers any cursor on any listing route with a page or a 400, never a 5xx', async () => {
    const w = await fuzzWorld();
    const routeAndCursor = fc
      .constantFrom(...w.routes)
      .chain((route) => fc.tuple(fc.constant(route), anyCursor(w, route)));

    await fc.assert(
      fc.asyncProperty(routeAndCursor, async ([route, cursor]) => {
        const reply = await w.list(route, { limit: '2', cursor });
        expect([200, 400], `${route.name}: ${reply.text}`).toContain(reply.status);
        (reply.status === 200 ? page : refusal).parse(reply.body);
      }),
      { numRuns: 100 },
    );
  });

  it("never tells a tenant whether another tenant's token id exists", async () => {
    const w = await fuzzWorld();
    const tenantRoutes = w.routes.filter((route) => route.caller === w.writer);
    const routeAndCursor = fc
      .constantFrom(...tenantRoutes)
      .chain((route) => fc.tuple(fc.constant(route), editedCursor(w, route, 2)));

    await fc.assert(
      fc.asyncProperty(routeAndCursor, async ([route, edited]) => {
        const named = async (tokenId: string) => {
          const reply = await w.list(route, { cursor: encodeCursor({ ...edited, tokenId }) });
          return { status: reply.status, text: reply.text };
        };
        const foreign = await named(w.other.tokenId);
        expect(foreign).toEqual(await named(UNKNOWN_ID));
        expect(foreign.status).toBe(400);
      }),
      { numRuns: 50 },
    );
  });
});
