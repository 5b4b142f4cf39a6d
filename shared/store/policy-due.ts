/**
 * The rotation-policy due index (`ByPolicyDue`, keys only): the attributes that put a token in
 * it, and the repository the alert run and the backfill use to read and move due dates.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { policyDueShard, POLICY_DUE_SHARDS, type PolicyDue } from '../token/policy-due';
import type { TokenRecord } from '../token/record';
import type { Page, PageRequest } from './dynamo/paging';
import { pageSize } from './dynamo/paging';
import type { TokenTable } from './dynamo/table';
import { isConditionFailure, translateStoreError, TokenStoreError } from './errors';
import { TOKEN_INDEX } from './token-indexes';
import { parseJsonOrUndefined } from '../json';

/** Every attribute of the due index, for a `REMOVE` (a token that ends or was reported). */
export const POLICY_DUE_ATTRIBUTES = 'policyDueShard, policyDueAt, heavyUsePerDay, heavyUseDueAt';

/** The item attributes that put `tokenHash` in the due index at `due`. */
export function policyDueItem(tokenHash: string, due: PolicyDue): Record<string, unknown> {
  return {
    policyDueShard: policyDueShard(tokenHash),
    policyDueAt: due.policyDueAt,
    ...(due.heavyUse === undefined
      ? {}
      : { heavyUsePerDay: due.heavyUse.usesPerDay, heavyUseDueAt: due.heavyUse.dueAt }),
  };
}

/** The same as an update: `SET` these, `REMOVE` the heavy-use pair when there is none. */
export function policyDueUpdate(
  tokenHash: string,
  due: PolicyDue,
): { set: string; remove: string; values: Record<string, unknown> } {
  const item = policyDueItem(tokenHash, due);
  return {
    set: Object.keys(item)
      .map((name) => `${name} = :due_${name}`)
      .join(', '),
    remove: due.heavyUse === undefined ? 'heavyUsePerDay, heavyUseDueAt' : '',
    values: Object.fromEntries(Object.entries(item).map(([name, v]) => [`:due_${name}`, v])),
  };
}

/**
 * A position in the walk over the shards. Internal to a run's paging (never returned by an API
 * or stored): a raw start key, so a page whose last token moved out of the index pages on.
 */
const dueCursorSchema = z.object({
  shard: z.int().check(z.gte(0), z.lt(POLICY_DUE_SHARDS.length)),
  key: z.optional(
    z.object({ tokenHash: z.string(), policyDueShard: z.string(), policyDueAt: z.string() }),
  ),
});
type DueCursor = z.infer<typeof dueCursorSchema>;

function decodeDueCursor(cursor: string | undefined): DueCursor {
  if (cursor === undefined) return { shard: 0 };
  const parsed = dueCursorSchema.safeParse(
    parseJsonOrUndefined(Buffer.from(cursor, 'base64url').toString()),
  );
  if (!parsed.success) throw new TokenStoreError('invalid-cursor', 'Not a due-index cursor');
  return parsed.data;
}

const encodeDueCursor = (cursor: DueCursor) =>
  Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** The rotation-policy due index: what the alert run and the policy backfill read and move. */
export interface PolicyDueRepository {
  /** Live tokens due at or before `until`, shard by shard (keys, then a consistent read each). */
  listDue(until: Date, request?: PageRequest): Promise<Page<TokenRecord>>;
  /**
   * Move the token's due date (`undefined`: out of the index), if it is still the one in
   * `record`; false when it changed meanwhile (or the token is gone).
   */
  reschedule(record: TokenRecord, due: PolicyDue | undefined): Promise<boolean>;
}

export class DynamoPolicyDue implements PolicyDueRepository {
  constructor(private readonly table: TokenTable) {}

  /**
   * Tokens whose due date is at or before `until`, shard by shard, soonest first in each: an
   * index query of keys, then a consistent read of each token (TTL may have deleted one).
   */
  async listDue(until: Date, request: PageRequest = {}): Promise<Page<TokenRecord>> {
    let at = decodeDueCursor(request.cursor);
    for (;;) {
      const shard = POLICY_DUE_SHARDS[at.shard] ?? '';
      const result = await this.table.query('listDue', {
        TableName: this.table.name,
        IndexName: TOKEN_INDEX.byPolicyDue,
        KeyConditionExpression: 'policyDueShard = :shard AND policyDueAt <= :until',
        ExpressionAttributeValues: { ':shard': shard, ':until': until.toISOString() },
        Limit: pageSize(request.limit),
        ...(at.key === undefined ? {} : { ExclusiveStartKey: at.key }),
      });
      const hashes = (result.Items ?? []).flatMap((item) => {
        const hash: unknown = item['tokenHash'];
        return typeof hash === 'string' ? [hash] : [];
      });
      const next = nextCursor(at.shard, result.LastEvaluatedKey);
      if (hashes.length > 0 || next === undefined) {
        const records = await Promise.all(
          hashes.map((hash) => this.table.getByHash(hash, { consistent: true })),
        );
        return {
          items: records.filter((r) => r !== undefined),
          cursor: next === undefined ? undefined : encodeDueCursor(next),
        };
      }
      at = next; // an empty shard: on to the next one in the same call
    }
  }

  /**
   * Move `record`'s due date to `due`, or take it out of the index (`undefined`), on condition
   * that the date is still the one read: a concurrent usage write that brought it forward wins.
   * False when it had changed (or the token is gone).
   */
  async reschedule(record: TokenRecord, due: PolicyDue | undefined): Promise<boolean> {
    const update =
      due === undefined
        ? { expression: `REMOVE ${POLICY_DUE_ATTRIBUTES}`, values: {} }
        : (() => {
            const u = policyDueUpdate(record.tokenHash, due);
            return {
              expression: `SET ${u.set}${u.remove === '' ? '' : ` REMOVE ${u.remove}`}`,
              values: u.values,
            };
          })();
    const seen = record.policyDueAt;
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { tokenHash: record.tokenHash },
          UpdateExpression: update.expression,
          ConditionExpression:
            'attribute_exists(tokenHash) AND ' +
            (seen === undefined ? 'attribute_not_exists(policyDueAt)' : 'policyDueAt = :seen'),
          // DynamoDB refuses an empty map: none when nothing is set or compared.
          ...(seen === undefined && due === undefined
            ? {}
            : {
                ExpressionAttributeValues: {
                  ...update.values,
                  ...(seen === undefined ? {} : { ':seen': seen }),
                },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translateStoreError(error, 'reschedule');
    }
  }
}

function nextCursor(
  shard: number,
  lastKey: Record<string, unknown> | undefined,
): DueCursor | undefined {
  if (lastKey !== undefined) {
    const key = dueCursorSchema.shape.key.safeParse(lastKey);
    if (key.success && key.data !== undefined) return { shard, key: key.data };
  }
  return shard + 1 < POLICY_DUE_SHARDS.length ? { shard: shard + 1 } : undefined;
}
