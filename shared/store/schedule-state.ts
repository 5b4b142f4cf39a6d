/**
 * What a scheduled job keeps between runs: where a walk that stopped for time resumes, and the
 * hash of the rotation policies the due dates were last derived with. One small item per job in
 * the tokens table, under a key no token hash can take (a hash is 64 hex digits), in no index.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { TokenTable } from './dynamo/table';
import { translateStoreError } from './errors';

export const SCHEDULE_JOBS = ['expiry-alerts', 'policy-backfill'] as const;
export type ScheduleJob = (typeof SCHEDULE_JOBS)[number];

const stateSchema = z.object({
  /** The page cursor the next run starts at; absent: from the beginning. */
  cursor: z.optional(z.string()),
  /** The policies' hash the due dates were derived with (a finished backfill). */
  policyHash: z.optional(z.string()),
  /** The policies' hash of a backfill in progress (its `cursor`). */
  backfillHash: z.optional(z.string()),
});
export type ScheduleState = z.infer<typeof stateSchema>;

const FIELDS = ['cursor', 'policyHash', 'backfillHash'] as const;

export function scheduleStateKey(job: ScheduleJob): { tokenHash: string } {
  return { tokenHash: `#schedule/${job}` };
}

/** Each scheduled job's state between runs (a resume cursor, the policies' hash). */
export interface ScheduleStateRepository {
  get(job: ScheduleJob): Promise<ScheduleState>;
  /** Replace the job's state; fields absent are removed. */
  save(job: ScheduleJob, state: ScheduleState): Promise<void>;
}

export class DynamoScheduleState implements ScheduleStateRepository {
  constructor(
    private readonly table: TokenTable,
    private readonly now: () => Date,
  ) {}

  async get(job: ScheduleJob): Promise<ScheduleState> {
    try {
      const { Item } = await this.table.doc.send(
        new GetCommand({
          TableName: this.table.name,
          Key: scheduleStateKey(job),
          ConsistentRead: true,
        }),
      );
      const parsed = stateSchema.safeParse(Item ?? {});
      // A state this code cannot read is dropped: the walk starts over, which is always safe.
      return parsed.success ? parsed.data : {};
    } catch (error) {
      throw translateStoreError(error, 'getScheduleState');
    }
  }

  /** Replace the job's state: fields absent from `state` are removed. */
  async save(job: ScheduleJob, state: ScheduleState): Promise<void> {
    const set = FIELDS.filter((f) => state[f] !== undefined);
    const remove = FIELDS.filter((f) => state[f] === undefined);
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: scheduleStateKey(job),
          // Names, not the attributes: `cursor` is a DynamoDB reserved word.
          UpdateExpression:
            `SET updatedAt = :now${set.map((f) => `, #${f} = :${f}`).join('')}` +
            (remove.length === 0 ? '' : ` REMOVE ${remove.map((f) => `#${f}`).join(', ')}`),
          ExpressionAttributeNames: Object.fromEntries(FIELDS.map((f) => [`#${f}`, f])),
          ExpressionAttributeValues: {
            ':now': this.now().toISOString(),
            ...Object.fromEntries(set.map((f) => [`:${f}`, state[f]])),
          },
        }),
      );
    } catch (error) {
      throw translateStoreError(error, 'saveScheduleState');
    }
  }
}
