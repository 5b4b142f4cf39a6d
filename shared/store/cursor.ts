/**
 * Pagination cursors. A cursor is DynamoDB's LastEvaluatedKey of one query as base64url JSON,
 * with a token's hash replaced by its public id. It comes back from the caller, so it is read
 * as strictly as any other input: accepted only in exactly the form its own query writes (the
 * index's key names in order, each value in its stored format, the query's own partition), and
 * a token it names must hold, or have held, that position in that index. Anything else is
 * `invalid-cursor`: never a start key DynamoDB refuses (a 503), and never an answer that tells
 * another tenant's token apart from no token at all.
 *
 * Not signed: with these checks a caller can only forge a position its own query reaches anyway,
 * while an HMAC would need a key in every deployment and would expire cursors on key rotation.
 */
import * as z from 'zod/mini';
import { effectiveEnd, type TokenRecord } from '../token/record';
import { TokenStoreError } from './errors';
import { LIVE_PARTITION, TOKEN_INDEX } from './schema';
import { parseJsonOrUndefined } from '../json';

type KeyFormat = (value: string) => boolean;

/** The key attributes of a page's last item for one query, in the order a cursor writes them. */
export interface CursorShape {
  readonly keys: readonly (readonly [name: string, format: KeyFormat])[];
}

/** A query of the tokens table through one of its indexes: its cursor names a token by id. */
export interface TokenIndexCursor extends CursorShape {
  readonly sortKey: string;
  /** Sort-key values the token holds or has held in this index (tokens leave it and move). */
  readonly positions: (record: TokenRecord) => readonly (string | undefined)[];
  /** The query's key condition on the sort key (inclusive); DynamoDB refuses a start outside. */
  readonly range?: { readonly from?: string; readonly until?: string };
  /**
   * Present: the named token is looked up at the cursor's own place in this index, by one query
   * that costs the same whatever other partitions hold, so not even timing tells another
   * tenant's token from none (for an index whose keys never change). Absent: by token id.
   */
  readonly findAt?: { readonly indexName: string; readonly partitionKey: string };
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** As `generateTokenId` writes them. */
const TOKEN_ID = /^tok_[0-9A-Za-z]{16}$/;

const exactly =
  (expected: string): KeyFormat =>
  (value) =>
    value === expected;

/** As `Date#toISOString` writes it, as every stored time is written: one spelling per instant. */
const timestamp: KeyFormat = (value) => {
  const ms = Date.parse(value);
  return ISO_TIMESTAMP.test(value) && !Number.isNaN(ms) && new Date(ms).toISOString() === value;
};

const tokenId: KeyFormat = (value) => TOKEN_ID.test(value);

/** An audit event's sort key, `<at>#<eventId>`, optionally on one UTC day. */
const eventKey =
  (day?: string): KeyFormat =>
  (value) => {
    const [at = '', eventId = '', ...rest] = value.split('#');
    const onDay = day === undefined || at.slice(0, 10) === day;
    return rest.length === 0 && timestamp(at) && UUID.test(eventId) && onDay;
  };

/** Any audit target (a token id, `owner:<owner>`), bounded well inside DynamoDB's key size. */
const auditTarget: KeyFormat = (value) => value.length >= 1 && value.length <= 512;

/** Tokens of one owner, newest first (the owner index). */
export function ownerCursor(owner: string): TokenIndexCursor {
  return {
    keys: [
      ['owner', exactly(owner)],
      ['createdAt', timestamp],
      ['tokenId', tokenId],
    ],
    sortKey: 'createdAt',
    positions: (record) => (record.owner === owner ? [record.createdAt] : []),
    // A tenant's own listing: owner and creation time never change.
    findAt: { indexName: TOKEN_INDEX.byOwner, partitionKey: 'owner' },
  };
}

/** Live tokens by end, in an `[from, until]` window of the expiry index. */
export function expiryCursor(range: { from: string; until: string }): TokenIndexCursor {
  return {
    keys: [
      ['expiryPartition', exactly(LIVE_PARTITION)],
      ['endsAt', timestamp],
      ['tokenId', tokenId],
    ],
    sortKey: 'endsAt',
    // Listed at its expiry; after a rotation at its grace deadline. Leaving the index (expiry,
    // revocation) keeps both, so a schedule that retires each page still pages on.
    positions: (record) => [record.expiresAt, effectiveEnd(record)],
    range,
  };
}

/** Tokens with an open request in `state`, by deadline (the request index). */
export function requestCursor(
  state: string,
  deadlineIn: (record: TokenRecord) => string | undefined,
  until?: string,
): TokenIndexCursor {
  return {
    keys: [
      ['requestState', exactly(state)],
      ['requestDeadline', timestamp],
      ['tokenId', tokenId],
    ],
    sortKey: 'requestDeadline',
    positions: (record) => [deadlineIn(record)],
    ...(until === undefined ? {} : { range: { until } }),
  };
}

/** Audit events of one token (the table) or of one day (the day index). */
export function auditCursor(partition: 'targetId' | 'day', value: string): CursorShape {
  return partition === 'targetId'
    ? {
        keys: [
          ['targetId', exactly(value)],
          ['eventKey', eventKey()],
        ],
      }
    : {
        keys: [
          ['day', exactly(value)],
          ['eventKey', eventKey(value)],
          ['targetId', auditTarget],
        ],
      };
}

/** The cursor for a page that ended at `key` (with a token's id in place of its hash). */
export function encodeCursor(
  shape: CursorShape,
  key: Record<string, unknown> | undefined,
): string | undefined {
  if (key === undefined) return undefined;
  const values: [string, unknown][] = shape.keys.map(([name]) => [name, key[name]]);
  if (values.some(([, value]) => typeof value !== 'string')) {
    throw new TokenStoreError('corrupt-item', 'A page ended at an item without its index keys');
  }
  return Buffer.from(JSON.stringify(Object.fromEntries(values))).toString('base64url');
}

const jsonObject = z.record(z.string(), z.unknown());

/** The key a cursor names, if it is exactly what `encodeCursor` writes for this query. */
export function decodeCursor(
  shape: CursorShape,
  cursor: string | undefined,
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  const parsed = jsonObject.safeParse(
    parseJsonOrUndefined(Buffer.from(cursor, 'base64url').toString('utf8')),
  );
  if (!parsed.success) throw invalidCursor();
  const key: Record<string, string> = {};
  for (const [name, format] of shape.keys) {
    const value = parsed.data[name];
    if (typeof value !== 'string' || !format(value)) throw invalidCursor();
    key[name] = value;
  }
  // One spelling per position: no extra keys, no other order, no stray base64 characters.
  if (encodeCursor(shape, key) !== cursor) throw invalidCursor();
  return key;
}

/**
 * The ExclusiveStartKey for a decoded token cursor and the token its id resolves to. Undefined
 * when the query's range has moved past the cursor (an expiry window starts at "now"): all
 * that came before it was listed and is out of range now, so the query starts at the range.
 */
export function tokenStartKey(
  index: TokenIndexCursor,
  key: Record<string, string>,
  record: TokenRecord | undefined,
): Record<string, string> | undefined {
  const at = key[index.sortKey];
  if (at === undefined || record === undefined || !index.positions(record).includes(at)) {
    throw invalidCursor();
  }
  if (index.range?.until !== undefined && at > index.range.until) throw invalidCursor();
  if (index.range?.from !== undefined && at < index.range.from) return undefined;
  const tableKey = Object.entries(key).filter(([name]) => name !== 'tokenId');
  return { ...Object.fromEntries(tableKey), tokenHash: record.tokenHash };
}

function invalidCursor(): TokenStoreError {
  return new TokenStoreError('invalid-cursor', 'The pagination cursor is invalid for this query');
}
