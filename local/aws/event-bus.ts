/**
 * The lifecycle event bus on moto, read the way a consumer would: a rule on the bus with an
 * SQS target, drained and parsed (EventBridge delivers the event JSON as the message body).
 */
import {
  CreateEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { createQueue, drainQueue } from './sqs-queue';

export async function createEventBus(client: EventBridgeClient, name: string): Promise<string> {
  const { EventBusArn } = await client.send(new CreateEventBusCommand({ Name: name }));
  if (EventBusArn === undefined) throw new Error(`CreateEventBus ${name} returned no ARN`);
  return EventBusArn;
}

/** A rule named `name` on `busName` sending what `pattern` matches to the queue `queueArn`. */
export async function routeToQueue(
  events: EventBridgeClient,
  busName: string,
  name: string,
  pattern: Record<string, unknown>,
  queueArn: string,
): Promise<void> {
  await events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: busName,
      EventPattern: JSON.stringify(pattern),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: queueArn }],
    }),
  );
}

const deliveredSchema = z.object({
  id: z.string(),
  source: z.string(),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.unknown(),
});

export type DeliveredEvent = z.infer<typeof deliveredSchema> & { readonly raw: string };

export class EventInbox {
  private constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** A queue that receives what `pattern` matches on `busName`, through a rule. */
  static async subscribe(
    clients: { events: EventBridgeClient; sqs: SQSClient },
    busName: string,
    name: string,
    pattern: Record<string, unknown>,
  ): Promise<EventInbox> {
    const queue = await createQueue(clients.sqs, name);
    await routeToQueue(clients.events, busName, name, pattern, queue.arn);
    return new EventInbox(clients.sqs, queue.url);
  }

  /** Every event waiting in the queue, removed from it. */
  async drain(): Promise<DeliveredEvent[]> {
    return (await drainQueue(this.sqs, this.queueUrl)).map((raw) => ({
      ...deliveredSchema.parse(JSON.parse(raw)),
      raw,
    }));
  }
}
