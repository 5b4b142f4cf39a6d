/**
 * Pages of token items. DynamoDB's LastEvaluatedKey of an index query holds the item's table
 * key, the token hash; the cursor carries the public token id in its place (see cursor.ts), so
 * no hash ever leaves the store, and a cursor coming back is resolved to the hash again.
 */
import type { QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { TokenRecord } from '../../token/record';
import { decodeCursor, encodeCursor, tokenStartKey, type TokenIndexCursor } from '../cursor';
import { TokenStoreError } from '../errors';
import { parseRecord } from './items';
import type { TokenTable } from './table';

export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

const MAX_PAGE = 100;

/** The Limit of one query: 50 unless asked, at least 1, at most 100. */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? 50), 1), MAX_PAGE);
}

/** One page of token items from an index query, with the cursor of the item it ended at. */
export async function tokenPage(
  table: TokenTable,
  index: TokenIndexCursor,
  result: Pick<QueryCommandOutput, 'Items' | 'LastEvaluatedKey'>,
): Promise<Page<TokenRecord>> {
  return {
    items: (result.Items ?? []).map(parseRecord),
    cursor: await tokenCursor(table, index, result.LastEvaluatedKey),
  };
}

/** The cursor for a page of token items that ended at `key`. */
export async function tokenCursor(
  table: TokenTable,
  index: TokenIndexCursor,
  key: Record<string, unknown> | undefined,
): Promise<string | undefined> {
  if (key === undefined) return undefined;
  const { tokenHash, ...rest } = key;
  const record = typeof tokenHash === 'string' ? await table.getByHash(tokenHash) : undefined;
  if (record === undefined) {
    throw new TokenStoreError('conflict', 'The last token of the page vanished; list again');
  }
  return encodeCursor(index, { ...rest, tokenId: record.tokenId });
}

/** The ExclusiveStartKey for a token cursor: its token id resolved back to the hash. */
export async function resolveStartKey(
  table: TokenTable,
  index: TokenIndexCursor,
  cursor: string | undefined,
): Promise<Record<string, string> | undefined> {
  const key = decodeCursor(index, cursor);
  if (key === undefined) return undefined;
  return tokenStartKey(index, key, await cursorToken(table, index, key));
}

/** The token a decoded cursor names: see `TokenIndexCursor.findAt`. */
export async function cursorToken(
  table: TokenTable,
  index: TokenIndexCursor,
  key: Record<string, string>,
): Promise<TokenRecord | undefined> {
  const tokenId = key['tokenId'] ?? '';
  if (index.findAt === undefined) return table.getById(tokenId);
  const { indexName, partitionKey } = index.findAt;
  const result = await table.query('cursorToken', {
    TableName: table.name,
    IndexName: indexName,
    KeyConditionExpression: '#partition = :partition AND #sort = :sort',
    FilterExpression: 'tokenId = :tokenId',
    ExpressionAttributeNames: { '#partition': partitionKey, '#sort': index.sortKey },
    ExpressionAttributeValues: {
      ':partition': key[partitionKey],
      ':sort': key[index.sortKey],
      ':tokenId': tokenId,
    },
  });
  const [item] = result.Items ?? [];
  return item === undefined ? undefined : parseRecord(item);
}
