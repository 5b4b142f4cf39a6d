/**
 * PutEvents to the lifecycle bus, at most 10 entries per call (the API's limit). Entries the
 * bus rejects (an `ErrorCode` in the response: throttling, internal errors) and calls that
 * fail outright are retried with backoff; what still fails is reported by key, so the stream
 * handler can hand those records back to Lambda for another try.
 */
import {
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_SOURCE, type LifecycleEvent } from './lifecycle';

export const PUT_EVENTS_BATCH = 10;

/** What the publisher needs of an EventBridgeClient. */
export interface PutEventsSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

export interface KeyedEvent {
  /** The caller's key for this event (the stream record's sequence number). */
  readonly key: string;
  readonly event: LifecycleEvent;
}

export interface PublishReport {
  readonly published: number;
  /** Entries that needed more than one attempt. */
  readonly retried: number;
  /** Keys of events that could not be published; each with the last error seen. */
  readonly failed: { readonly key: string; readonly error: string }[];
}

export interface PublisherOptions {
  readonly attempts?: number;
  readonly backoffMs?: number;
}

export class LifecyclePublisher {
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly client: PutEventsSender,
    private readonly busName: string,
    options: PublisherOptions = {},
  ) {
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 100;
  }

  async publish(events: readonly KeyedEvent[]): Promise<PublishReport> {
    let published = 0;
    let retried = 0;
    const failed: { key: string; error: string }[] = [];
    for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
      let pending = events.slice(start, start + PUT_EVENTS_BATCH);
      const errors = new Map<string, string>();
      for (let attempt = 1; pending.length > 0 && attempt <= this.attempts; attempt++) {
        if (attempt > 1) {
          retried += pending.length;
          await sleep(this.backoffMs * 2 ** (attempt - 2));
        }
        const outcome = await this.send(pending);
        published += pending.length - outcome.length;
        for (const { key, error } of outcome) errors.set(key, error);
        const rejected = new Set(outcome.map((o) => o.key));
        pending = pending.filter((e) => rejected.has(e.key));
      }
      for (const { key } of pending) failed.push({ key, error: errors.get(key) ?? 'unknown' });
      // Stop at the first chunk that failed: Lambda redelivers from its first failed record
      // anyway, and publishing what follows now would only publish it twice, out of order.
      if (failed.length > 0) break;
    }
    return { published, retried, failed };
  }

  /** One PutEvents call; the entries it did not accept, with their error codes. */
  private async send(batch: readonly KeyedEvent[]): Promise<{ key: string; error: string }[]> {
    const entries: PutEventsRequestEntry[] = batch.map(({ event }) => ({
      EventBusName: this.busName,
      Source: EVENT_SOURCE,
      DetailType: event.type,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.detail.occurredAt),
      Resources: [],
    }));
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
      // Results are positional: entry i of the response is entry i of the request.
      return batch.flatMap((item, i) => {
        const result = out.Entries?.[i];
        if (result?.EventId !== undefined && result.ErrorCode === undefined) return [];
        return [{ key: item.key, error: result?.ErrorCode ?? 'NoResult' }];
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      return batch.map((item) => ({ key: item.key, error: name }));
    }
  }
}
