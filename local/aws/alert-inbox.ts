/**
 * The alert topic on moto, read the way a subscriber would: an SQS queue subscribed to the
 * topic (optionally with a filter policy on the message body), drained and parsed.
 */
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { createQueue, drainQueue } from './sqs-queue';

export async function createTopic(sns: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  if (TopicArn === undefined) throw new Error(`CreateTopic ${name} returned no ARN`);
  return TopicArn;
}

/** What an SQS subscriber receives from SNS (not raw delivery): the SNS envelope. */
const envelopeSchema = z.object({
  Type: z.literal('Notification'),
  MessageId: z.string(),
  Subject: z.optional(z.nullable(z.string())),
  Message: z.string(),
  MessageAttributes: z.optional(
    z.record(z.string(), z.object({ Type: z.string(), Value: z.string() })),
  ),
});

export interface ReceivedAlert {
  readonly messageId: string;
  readonly subject: string | undefined;
  /** The message body as published. */
  readonly raw: string;
  /** The body parsed as JSON (every alert of this platform is JSON). */
  readonly body: unknown;
  readonly attributes: Record<string, string>;
}

export class AlertInbox {
  private constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** A new queue subscribed to `topicArn`; `filterPolicy` applies to the message body. */
  static async subscribe(
    clients: { sns: SNSClient; sqs: SQSClient },
    topicArn: string,
    queueName: string,
    filterPolicy?: Record<string, unknown>,
  ): Promise<AlertInbox> {
    const queue = await createQueue(clients.sqs, queueName);
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queue.arn,
        Attributes:
          filterPolicy === undefined
            ? {}
            : { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageBody' },
      }),
    );
    return new AlertInbox(clients.sqs, queue.url);
  }

  /** Every message waiting in the queue, oldest first, removed from it. */
  async drain(): Promise<ReceivedAlert[]> {
    return (await drainQueue(this.sqs, this.queueUrl)).map((body) => {
      const envelope = envelopeSchema.parse(JSON.parse(body));
      const message: unknown = JSON.parse(envelope.Message);
      return {
        messageId: envelope.MessageId,
        subject: envelope.Subject ?? undefined,
        raw: envelope.Message,
        body: message,
        attributes: Object.fromEntries(
          Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
      };
    });
  }
}
