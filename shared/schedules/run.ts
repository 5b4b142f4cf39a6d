/**
 * The identity and clock of one scheduled run, from the EventBridge "Scheduled Event" that
 * started it. Anything else (a manual test invocation with `{}`) still runs, on the system
 * clock with a fresh run id.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { openStores, type Stores } from '../store';

const scheduledEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  time: z.iso.datetime(),
});

export interface ScheduleRun {
  /** The event id: it correlates the run's log lines, audit events and retries. */
  readonly runId: string;
  readonly now: Date;
}

export class ScheduleEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleEventError';
  }
}

export function scheduleRun(
  event: unknown,
  clock: 'system' | 'event',
  systemNow: () => Date = () => new Date(),
): ScheduleRun {
  const parsed = scheduledEventSchema.safeParse(event);
  if (clock === 'event') {
    if (!parsed.success) {
      throw new ScheduleEventError('CLOCK_SOURCE=event needs an event with "id" and ISO "time"');
    }
    return { runId: parsed.data.id, now: new Date(parsed.data.time) };
  }
  return { runId: parsed.success ? parsed.data.id : randomUUID(), now: systemNow() };
}

/** Thrown after a run handled what it could, so Lambda retries it (and dead-letters it). */
export class ScheduleRunFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleRunFailed';
  }
}

/** Time left for one more page: stop with this much of the invocation's time to spare. */
const RESERVE_MS = 30_000;

export function timeLeft(context: { getRemainingTimeInMillis(): number }): () => boolean {
  return () => context.getRemainingTimeInMillis() > RESERVE_MS;
}

/**
 * The repositories for one run. On the event clock the store's own clock (audit timestamps,
 * lease expiry, "has this token ended") is the run's time too, so a simulated clock is whole.
 */
export function storesForRun(
  client: DynamoDBClient,
  config: {
    TOKENS_TABLE_NAME: string;
    AUDIT_TABLE_NAME: string;
    CLOCK_SOURCE: 'system' | 'event';
    RETENTION_DAYS?: number;
  },
  run: ScheduleRun,
): Stores {
  return openStores({
    client,
    tables: { tokens: config.TOKENS_TABLE_NAME, audit: config.AUDIT_TABLE_NAME },
    ...(config.RETENTION_DAYS === undefined ? {} : { retentionDays: config.RETENTION_DAYS }),
    ...(config.CLOCK_SOURCE === 'event' ? { now: () => run.now } : {}),
  });
}
