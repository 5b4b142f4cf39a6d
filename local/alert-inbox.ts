/**
 * The alert topic on moto, read the way a subscriber would: an SQS queue subscribed to the
 * topic (optionally with a filter policy on the message body), drained and parsed.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { LOCAL_AWS_ENV } from './dynamodb-local';

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: {
    accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  },
});

export function localSnsClient(endpoint: string): SNSClient {
  return new SNSClient(clientConfig(endpoint));
}

export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient(clientConfig(endpoint));
}

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
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    if (QueueUrl === undefined) throw new Error(`CreateQueue ${queueName} returned no URL`);
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = Attributes?.['QueueArn'];
    if (queueArn === undefined) throw new Error(`Queue ${queueName} has no ARN`);
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes:
          filterPolicy === undefined
            ? {}
            : { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageBody' },
      }),
    );
    return new AlertInbox(clients.sqs, QueueUrl);
  }

  /** Every message waiting in the queue, oldest first, removed from it. */
  async drain(): Promise<ReceivedAlert[]> {
    const received: ReceivedAlert[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) return received;
      for (const message of Messages) {
        const envelope = envelopeSchema.parse(JSON.parse(message.Body ?? ''));
        received.push({
          messageId: envelope.MessageId,
          subject: envelope.Subject ?? undefined,
          raw: envelope.Message,
          body: JSON.parse(envelope.Message),
          attributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
          ),
        });
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
}
