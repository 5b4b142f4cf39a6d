/**
 * Lambda's SQS event source mapping, played against moto: once a message is waiting, gather
 * more for the batching window (or until the batch is full), invoke the handler with the
 * batch as Lambda shapes it, delete what succeeded, and honour a partial batch response the
 * way Lambda does: the failed messages stay in the queue and come back after the visibility
 * timeout; the queue's redrive policy moves them to its dead-letter queue in the end.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod/mini';
import { LOCAL_AWS_ENV } from './clients';

export type SqsHandler = (event: { Records: unknown[] }) => Promise<unknown>;

const partialBatchSchema = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })),
});

export interface SqsSourceOptions {
  /** The mapping's maximum batching window. */
  readonly windowMs: number;
  readonly batchSize?: number;
}

/** What one poll did. */
export interface SqsPoll {
  readonly delivered: number;
  readonly failed: number;
}

function lambdaRecord(message: Message, queueArn: string) {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: message.Attributes ?? {},
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_AWS_ENV.AWS_REGION,
  };
}

export class SqsEventSource {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: { readonly url: string; readonly arn: string },
    private readonly handler: SqsHandler,
    private readonly options: SqsSourceOptions,
  ) {}

  /** Deliver what is waiting as one batch (gathered over the window); nothing if it is empty. */
  async poll(): Promise<SqsPoll> {
    const size = this.options.batchSize ?? 1000;
    const batch = await this.receive(size);
    if (batch.length === 0) return { delivered: 0, failed: 0 };
    const closes = Date.now() + this.options.windowMs;
    while (batch.length < size && Date.now() < closes) {
      await sleep(Math.min(100, Math.max(0, closes - Date.now())));
      batch.push(...(await this.receive(size - batch.length)));
    }
    const failed = await this.invoke(batch);
    const done = batch.filter((m) => !failed.has(m.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: done
            .slice(i, i + 10)
            .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return { delivered: batch.length, failed: batch.length - done.length };
  }

  /** The ids of the messages that failed: all of them when the handler threw or answered oddly. */
  private async invoke(batch: readonly Message[]): Promise<Set<string>> {
    const all = new Set(batch.map((m) => m.MessageId ?? ''));
    try {
      const result: unknown = await this.handler({
        Records: batch.map((m) => lambdaRecord(m, this.queue.arn)),
      });
      const parsed = partialBatchSchema.safeParse(result ?? { batchItemFailures: [] });
      if (!parsed.success) return all;
      const failed = new Set(parsed.data.batchItemFailures.map((f) => f.itemIdentifier));
      // As Lambda: an identifier that is not in the batch fails the whole batch.
      return [...failed].every((id) => all.has(id)) ? failed : all;
    } catch {
      return all;
    }
  }

  private async receive(max: number): Promise<Message[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queue.url,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return Messages;
  }
}
