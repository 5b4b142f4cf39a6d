/**
 * What reaches the local stack's console from the emulated services: alerts, as an SQS
 * subscriber of the topic receives them, lifecycle events, as a consumer of the bus receives
 * them once the relay has published the audit stream, and the stage flusher's batches. They
 * are polled on a timer and on demand (a control command, a schedule run), one poll after
 * another.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lifecycleDetailSchema } from '../../shared/events/lifecycle';
import type { AlertInbox, ReceivedAlert } from '../aws/alert-inbox';
import type { DeliveredEvent, EventInbox } from '../aws/event-bus';
import type { SqsEventSource } from '../aws/sqs-event-source';
import type { StreamPoller } from '../aws/stream-poller';

/** The console, and whether the stack is stopping (a failed poll then goes unreported). */
export interface FeedOutput {
  readonly print: (line: string) => void;
  readonly isStopping: () => boolean;
}

/**
 * Runs of `once`, one after another: each call runs it after the runs already asked for, and
 * resolves when that run is done. A failed run goes to `onError`; the next call runs again.
 */
class OneAfterAnother {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly once: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  run(): Promise<void> {
    this.last = this.last.then(this.once).catch(this.onError);
    return this.last;
  }

  /** Resolves once the last run asked for is done. */
  settled(): Promise<void> {
    return this.last;
  }
}

function reporter(output: FeedOutput, failure: string) {
  return (error: unknown) => {
    if (!output.isStopping()) output.print(`${failure}: ${String(error)}`);
  };
}

/** Alerts received: kept, appended to the alerts file (JSON lines) and printed. */
export class AlertFeed {
  readonly received: ReceivedAlert[] = [];
  private readonly polls: OneAfterAnother;

  constructor(
    private readonly inbox: AlertInbox,
    private readonly file: string,
    private readonly output: FeedOutput,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    this.polls = new OneAfterAnother(
      () => this.drain(),
      reporter(output, '[alert] could not read the alert queue'),
    );
  }

  /** Resolves once every alert published before the call has been received. */
  poll(): Promise<void> {
    return this.polls.run();
  }

  settled(): Promise<void> {
    return this.polls.settled();
  }

  private async drain(): Promise<void> {
    for (const alert of await this.inbox.drain()) {
      this.received.push(alert);
      const line = {
        messageId: alert.messageId,
        subject: alert.subject,
        attributes: alert.attributes,
        message: alert.body,
      };
      appendFileSync(this.file, `${JSON.stringify(line)}\n`);
      this.output.print(`[alert] ${alert.subject ?? alert.raw.slice(0, 100)}`);
    }
  }
}

/** Lifecycle events received on the bus, after relaying the audit stream: kept and printed. */
export class EventFeed {
  readonly received: DeliveredEvent[] = [];
  private readonly polls: OneAfterAnother;

  constructor(
    private readonly auditStream: StreamPoller,
    private readonly inbox: EventInbox,
    private readonly output: FeedOutput,
  ) {
    this.polls = new OneAfterAnother(
      () => this.relay(),
      reporter(output, '[event] could not relay the audit stream'),
    );
  }

  /** Resolves once every change made before the call has been published and received. */
  poll(): Promise<void> {
    return this.polls.run();
  }

  settled(): Promise<void> {
    return this.polls.settled();
  }

  private async relay(): Promise<void> {
    await this.auditStream.drain();
    for (const delivered of await this.inbox.drain()) {
      this.received.push(delivered);
      const detail = lifecycleDetailSchema.safeParse(delivered.detail);
      const about = detail.success
        ? `${detail.data.token.id} (${detail.data.token.name ?? '?'}, ${detail.data.token.owner ?? '?'}) by ${detail.data.actor}`
        : '';
      this.output.print(`[event] ${delivered['detail-type']} ${about}`);
    }
  }
}

/**
 * The stage flusher's event source mapping: each poll gathers a batch over the window and
 * invokes the flusher. A tick while a batch is being gathered is skipped, not queued.
 */
export class FlushFeed {
  private running: Promise<void> | undefined;
  private readonly report: (error: unknown) => void;

  constructor(
    private readonly source: SqsEventSource,
    private readonly output: FeedOutput,
  ) {
    this.report = reporter(output, '[flush] could not read the flush queue');
  }

  poll(): Promise<void> {
    this.running ??= this.deliver()
      .catch(this.report)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async deliver(): Promise<void> {
    const { delivered, failed } = await this.source.poll();
    if (delivered === 0) return;
    const events = `${String(delivered)} event${delivered === 1 ? '' : 's'}`;
    this.output.print(
      failed === 0
        ? `[flush] ${events}: every stage's authorizer cache flushed`
        : `[flush] ${events}: ${String(failed)} handed back for a retry`,
    );
  }
}

export interface Feed {
  poll(): Promise<void>;
  settled(): Promise<void>;
}

/** Poll every feed every `everyMs`; the returned stop ends the timer and awaits the polls. */
export function pollFeeds(feeds: readonly Feed[], everyMs: number): () => Promise<void> {
  const timer = setInterval(() => {
    for (const feed of feeds) void feed.poll();
  }, everyMs);
  return async () => {
    clearInterval(timer);
    for (const feed of feeds) await feed.settled();
  };
}
