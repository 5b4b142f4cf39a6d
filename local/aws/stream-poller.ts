/**
 * Lambda's DynamoDB Streams event source mapping, played against DynamoDB Local: read a
 * table's stream from the start, keep the records the mapping's filter keeps, hand them to a
 * handler in batches, and honour partial batch responses the way Lambda does: retry from the
 * lowest reported sequence number (records after it are delivered again), and after
 * `maxRetries` give the batch up to the dead letters.
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record,
  type DynamoDBStreamsClient,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { LOCAL_AWS_ENV } from './clients';

export type StreamHandler = (event: { Records: unknown[] }) => Promise<unknown>;

const partialBatchSchema = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })),
});

/** The deployed mapping's filter (infra/lifecycle-events.ts): new audit items of successes. */
export function isSuccessInsert(record: _Record): boolean {
  const outcome = record.dynamodb?.NewImage?.['outcome'];
  return record.eventName === 'INSERT' && outcome?.S === 'success';
}

/** The record as Lambda puts it in the event (dates as epoch seconds). */
function lambdaRecord(record: _Record, streamArn: string) {
  const data = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_AWS_ENV.AWS_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime:
        data?.ApproximateCreationDateTime === undefined
          ? undefined
          : Math.floor(data.ApproximateCreationDateTime.getTime() / 1000),
      Keys: data?.Keys,
      NewImage: data?.NewImage,
      SequenceNumber: data?.SequenceNumber,
      SizeBytes: data?.SizeBytes,
      StreamViewType: data?.StreamViewType,
    },
  };
}

export interface PollerOptions {
  readonly batchSize?: number;
  /** Lambda's retryAttempts for the mapping. */
  readonly maxRetries?: number;
  readonly filter?: (record: _Record) => boolean;
  /** Where to start: the oldest record kept (the mapping's TRIM_HORIZON), or only new ones. */
  readonly startAt?: 'TRIM_HORIZON' | 'LATEST';
}

export class StreamPoller {
  /** Batches given up after the retries (what the mapping's on-failure queue would get). */
  readonly deadLetters: unknown[][] = [];
  /** Every batch handed to the handler, in order. */
  readonly invocations: unknown[][] = [];
  private iterators = new Map<string, string | undefined>();

  private constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly handler: StreamHandler,
    private readonly options: PollerOptions,
  ) {}

  /** A poller positioned at the start of `table`'s stream. */
  static async forTable(
    dynamo: DynamoDBClient,
    streams: DynamoDBStreamsClient,
    table: string,
    handler: StreamHandler,
    options: PollerOptions = {},
  ): Promise<StreamPoller> {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    const streamArn = Table?.LatestStreamArn;
    if (streamArn === undefined) throw new Error(`${table} has no stream`);
    const poller = new StreamPoller(streams, streamArn, handler, options);
    // LATEST is "from now": the shards open now are positioned at once.
    if (options.startAt === 'LATEST') await poller.refreshShards('LATEST');
    return poller;
  }

  /** Read everything the stream holds now and deliver it; returns how many records were read. */
  async drain(): Promise<number> {
    await this.refreshShards();
    let read = 0;
    for (const [shardId, iterator] of this.iterators) {
      let next = iterator;
      while (next !== undefined) {
        let out;
        try {
          out = await this.streams.send(new GetRecordsCommand({ ShardIterator: next }));
        } catch (error) {
          // DynamoDB Local answers a LATEST iterator of an empty shard this way: start over
          // from the shard's oldest record, which is then the first one written.
          if (!(error instanceof TrimmedDataAccessException)) throw error;
          this.iterators.delete(shardId);
          await this.refreshShards();
          next = this.iterators.get(shardId);
          continue;
        }
        const records = out.Records ?? [];
        read += records.length;
        const kept = records.filter(this.options.filter ?? (() => true));
        const size = this.options.batchSize ?? 100;
        for (let start = 0; start < kept.length; start += size) {
          await this.deliver(kept.slice(start, start + size));
        }
        // An open shard answers an iterator even when it has nothing new: stop there.
        this.iterators.set(shardId, out.NextShardIterator);
        if (records.length === 0) break;
        next = out.NextShardIterator;
      }
    }
    return read;
  }

  private async deliver(batch: _Record[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const records = pending.map((r) => lambdaRecord(r, this.streamArn));
      this.invocations.push(records);
      let retryFrom: string | undefined;
      const first = pending[0]?.dynamodb?.SequenceNumber;
      try {
        const result: unknown = await this.handler({ Records: records });
        // As Lambda: no response (or null) is success; a malformed one, or an identifier that
        // is not in the batch, fails the whole batch.
        const parsed = partialBatchSchema.safeParse(result ?? { batchItemFailures: [] });
        const known = new Set(pending.map((r) => r.dynamodb?.SequenceNumber));
        if (!parsed.success) retryFrom = first;
        else if (parsed.data.batchItemFailures.some((f) => !known.has(f.itemIdentifier))) {
          retryFrom = first;
        } else {
          retryFrom = parsed.data.batchItemFailures
            .map((f) => f.itemIdentifier)
            .sort(bySequence)[0];
        }
      } catch {
        retryFrom = first;
      }
      if (retryFrom === undefined) return;
      if (attempt >= (this.options.maxRetries ?? 3)) {
        this.deadLetters.push(records);
        return;
      }
      pending = pending.filter((r) => bySequence(r.dynamodb?.SequenceNumber ?? '', retryFrom) >= 0);
    }
  }

  /** Shards not seen before get an iterator; shards that appear later start at their oldest. */
  private async refreshShards(position: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON'): Promise<void> {
    const { StreamDescription } = await this.streams.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || this.iterators.has(shardId)) continue;
      const { ShardIterator } = await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: position,
        }),
      );
      this.iterators.set(shardId, ShardIterator);
    }
  }
}

/** Sequence numbers are decimal strings of varying length. */
function bySequence(a: string | undefined, b: string | undefined): number {
  const x = BigInt(a ?? '0');
  const y = BigInt(b ?? '0');
  return x < y ? -1 : x > y ? 1 : 0;
}
