/**
 * The flusher's input: an SQS batch whose messages are the lifecycle events the bus rule
 * forwarded (the EventBridge event JSON as the body). Each message is one trigger, named by the
 * audit event it reports (delivery is at least once: the same change may arrive twice), or by
 * its message id when the body is not a lifecycle event: it still came through the rule, and a
 * flush is never wrong, only costly.
 */
import * as z from 'zod/mini';
import { EVENT_SOURCE } from '../events/lifecycle';

/**
 * The lifecycle events after which a token may have stopped: each one must reach every stage.
 * TokenRotated too: a rotation with no grace period (`graceDays: 0`, the natural answer to a
 * suspected leak) ends the old token at once and brings no other event until cleanup. A
 * rotation with grace costs one flush it did not need, debounced with the rest.
 */
export const FLUSH_EVENT_TYPES = [
  'TokenRevoked',
  'TokenExpired',
  'TokenGraceEnded',
  'TokenRotated',
] as const;

/** The bus rule's pattern (infra/stage-flusher.ts, local/stack/provision.ts). */
export const FLUSH_EVENT_PATTERN = {
  source: [EVENT_SOURCE],
  'detail-type': [...FLUSH_EVENT_TYPES],
};

export class FlushEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlushEventError';
  }
}

const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});

const lifecycleBodySchema = z.object({
  'detail-type': z.string(),
  detail: z.object({ eventId: z.string() }),
});

export interface FlushTrigger {
  /** The audit event id, or `message:<messageId>` for a body that is not a lifecycle event. */
  readonly id: string;
  /** What SQS retries: the batch item identifier of a partial batch failure. */
  readonly messageId: string;
  /** The event's detail-type, or undefined when the body could not be read. */
  readonly type: string | undefined;
}

function parseBody(body: string): z.infer<typeof lifecycleBodySchema> | undefined {
  try {
    const parsed = lifecycleBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The batch's triggers; throws FlushEventError when the event is not an SQS batch at all. */
export function flushTriggers(event: unknown): FlushTrigger[] {
  const batch = sqsEventSchema.safeParse(event);
  if (!batch.success) throw new FlushEventError('Not an SQS event: no Records with messageId');
  return batch.data.Records.map((record) => {
    const body = parseBody(record.body);
    return body === undefined
      ? { id: `message:${record.messageId}`, messageId: record.messageId, type: undefined }
      : { id: body.detail.eventId, messageId: record.messageId, type: body['detail-type'] };
  });
}
