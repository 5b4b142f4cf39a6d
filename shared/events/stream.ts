/**
 * One batch of the audit table's stream, as Lambda delivers it: new audit items become
 * lifecycle events, published in order; records whose events could not be published are
 * reported back (partial batch response), so Lambda retries from the first of them (and the
 * records after it: events can repeat, never go missing).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import { auditEventSchema } from '../store/audit';
import { redactTokens } from '../token/format';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  lifecycleDetailSchema,
  lifecycleEvent,
  type LifecycleEvent,
  type TokenFacts,
} from './lifecycle';
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
  /** The token's fixed attributes by id; undefined when the item is gone (or unreadable). */
  readonly tokenFacts: (tokenId: string) => Promise<TokenFacts | undefined>;
  readonly publish: (events: readonly KeyedEvent[]) => Promise<PublishReport>;
  /**
   * The token index is eventually consistent: a token created a moment ago may not be found
   * yet. A missing token is looked up once more after this long. Default 500 ms.
   */
  readonly retryLookupAfterMs?: number;
}

export interface RelayReport extends PublishReport {
  /** Records that are not lifecycle changes (refusals, no-ops, other actions). */
  readonly ignored: number;
  /** Events published without the token's name and scopes (its record was not found). */
  readonly withoutFacts: number;
  /** Events in which something token-shaped was replaced by "[redacted]". */
  readonly redacted: number;
  /** Where the batch stopped (an unreadable record, a failed token read), with why. */
  readonly stoppedAt?: { readonly key: string; readonly error: string };
  /** What Lambda needs back: the records to retry (it restarts from the first). */
  readonly batchItemFailures: { itemIdentifier: string }[];
}

const REDACTED = '[redacted]';

/** A JSON value with every string in it (object keys included) passed through `change`. */
function mapStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, change));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [change(key), mapStrings(item, change)]),
  );
}

/**
 * The detail with every token the finder recognises replaced, string by string: audit events
 * never hold one (the API refuses them), but if one does, plain, glued or encoded, it is not
 * published.
 */
function redact(event: LifecycleEvent): { event: LifecycleEvent; redacted: boolean } {
  let changed = 0;
  const detail = mapStrings(event.detail, (text) => {
    const safe = redactTokens(text, REDACTED);
    if (safe !== text) changed++;
    return safe;
  });
  if (changed === 0) return { event, redacted: false };
  return {
    event: { type: event.type, detail: lifecycleDetailSchema.parse(detail) },
    redacted: true,
  };
}

/**
 * Relay one batch in order. It stops at the first record it cannot handle now (unreadable, or
 * the token read failed): the records before it are published, and it and everything after it
 * go back to Lambda, which retries them and, when retries run out, bisects down to the bad
 * record and sends it to the dead-letter queue.
 */
export async function relayAuditRecords(event: unknown, deps: RelayDeps): Promise<RelayReport> {
  const parsed = streamEventSchema.safeParse(event);
  if (!parsed.success) throw new StreamEventError('Not a DynamoDB stream event');
  const facts = new Map<string, TokenFacts | undefined>();
  const lookup = async (tokenId: string) => {
    if (facts.has(tokenId)) return facts.get(tokenId);
    let found = await deps.tokenFacts(tokenId);
    if (found === undefined) {
      await sleep(deps.retryLookupAfterMs ?? 500);
      found = await deps.tokenFacts(tokenId);
    }
    facts.set(tokenId, found);
    return found;
  };
  const keyed: KeyedEvent[] = [];
  let ignored = 0;
  let withoutFacts = 0;
  let redacted = 0;
  let stoppedAt: { key: string; error: string } | undefined;
  for (const record of parsed.data.Records) {
    const key = record.dynamodb.SequenceNumber;
    if (record.eventName !== 'INSERT' || record.dynamodb.NewImage === undefined) {
      ignored++;
      continue;
    }
    const audit = auditEventSchema.safeParse(unmarshall(record.dynamodb.NewImage));
    if (!audit.success) {
      stoppedAt = { key, error: 'not an audit event' };
      break;
    }
    if (lifecycleEvent(audit.data, undefined) === undefined) {
      ignored++;
      continue;
    }
    let token: TokenFacts | undefined;
    try {
      token = await lookup(audit.data.targetId);
    } catch (error) {
      stoppedAt = { key, error: error instanceof Error ? error.name : 'UnknownError' };
      break;
    }
    const mapped = lifecycleEvent(audit.data, token);
    if (mapped === undefined) continue;
    if (token === undefined) withoutFacts++;
    const safe = redact(mapped);
    if (safe.redacted) redacted++;
    keyed.push({ key, event: safe.event });
  }
  const report = await deps.publish(keyed);
  const retry = [
    ...report.failed.map((f) => f.key),
    ...(stoppedAt === undefined ? [] : [stoppedAt.key]),
  ];
  return {
    ...report,
    ignored,
    withoutFacts,
    redacted,
    ...(stoppedAt === undefined ? {} : { stoppedAt }),
    batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })),
  };
}
