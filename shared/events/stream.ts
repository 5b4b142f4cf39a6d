/**
 * One batch of the audit table's stream, as Lambda delivers it: new audit items become
 * lifecycle events, published in order; records whose events could not be published are
 * reported back (partial batch response), so Lambda retries from the first of them.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import { auditEventSchema } from '../store/audit';
import { findTokens } from '../token/format';
import { lifecycleEvent, type TokenFacts } from './lifecycle';
import type { KeyedEvent, PublishReport } from './publisher';

/** A DynamoDB stream attribute value, as the stream record carries it. */
type StreamValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { L: StreamValue[] }
  | { M: Record<string, StreamValue> };

const streamValue: z.ZodMiniType<StreamValue> = z.lazy(() =>
  z.union([
    z.object({ S: z.string() }),
    z.object({ N: z.string() }),
    z.object({ BOOL: z.boolean() }),
    z.object({ NULL: z.literal(true) }),
    z.object({ SS: z.array(z.string()) }),
    z.object({ NS: z.array(z.string()) }),
    z.object({ L: z.array(streamValue) }),
    z.object({ M: z.record(z.string(), streamValue) }),
  ]),
);

const streamEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.optional(z.string()),
      dynamodb: z.object({
        SequenceNumber: z.string(),
        NewImage: z.optional(z.record(z.string(), streamValue)),
      }),
    }),
  ),
});

export class StreamEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamEventError';
  }
}

export interface RelayDeps {
  /** The token's fixed attributes by id; undefined when the item is gone. */
  readonly tokenFacts: (tokenId: string) => Promise<TokenFacts | undefined>;
  readonly publish: (events: readonly KeyedEvent[]) => Promise<PublishReport>;
}

export interface RelayReport extends PublishReport {
  /** Records that are not lifecycle changes (refusals, no-ops, other actions). */
  readonly ignored: number;
  /** Records that could not be read as audit events: logged and skipped, never retried. */
  readonly unreadable: string[];
  /** What Lambda needs back: the records to retry (it restarts from the first). */
  readonly batchItemFailures: { itemIdentifier: string }[];
}

export async function relayAuditRecords(event: unknown, deps: RelayDeps): Promise<RelayReport> {
  const parsed = streamEventSchema.safeParse(event);
  if (!parsed.success) throw new StreamEventError('Not a DynamoDB stream event');
  const facts = new Map<string, Promise<TokenFacts | undefined>>();
  const keyed: KeyedEvent[] = [];
  const unreadable: string[] = [];
  let ignored = 0;
  for (const record of parsed.data.Records) {
    const key = record.dynamodb.SequenceNumber;
    if (record.eventName !== 'INSERT' || record.dynamodb.NewImage === undefined) {
      ignored++;
      continue;
    }
    const audit = auditEventSchema.safeParse(unmarshall(record.dynamodb.NewImage));
    if (!audit.success) {
      unreadable.push(key);
      continue;
    }
    const targetId = audit.data.targetId;
    if (!facts.has(targetId)) facts.set(targetId, deps.tokenFacts(targetId));
    const mapped = lifecycleEvent(audit.data, await facts.get(targetId));
    if (mapped === undefined) {
      ignored++;
      continue;
    }
    // Audit events never hold a token; an event that did would not leave this function.
    if (findTokens(JSON.stringify(mapped.detail)).length > 0) {
      unreadable.push(key);
      continue;
    }
    keyed.push({ key, event: mapped });
  }
  const report = await deps.publish(keyed);
  return {
    ...report,
    ignored,
    unreadable,
    batchItemFailures: report.failed.map(({ key }) => ({ itemIdentifier: key })),
  };
}
