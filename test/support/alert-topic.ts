/**
 * A fresh alert topic on moto per test, with an unfiltered SQS subscriber (`inbox`) and a way
 * to add filtered ones: alerts are read exactly as a subscriber would receive them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, inject } from 'vitest';
import { AlertInbox, createTopic } from '../../local/aws/alert-inbox';
import { localSnsClient, localSqsClient } from '../../local/aws/clients';
import { SnsAlertPublisher } from '../../shared/alerts/publisher';

export interface AlertTopicFixture {
  topicArn(): string;
  inbox(): AlertInbox;
  /** A publisher to the current topic, or to `topicArn`. */
  publisher(topicArn?: string): SnsAlertPublisher;
  /** Another subscriber of the current topic, with a body filter policy. */
  subscribe(filterPolicy: Record<string, unknown>): Promise<AlertInbox>;
}

export function useAlertTopic(): AlertTopicFixture {
  const clients = {
    sns: localSnsClient(inject('motoEndpoint')),
    sqs: localSqsClient(inject('motoEndpoint')),
  };
  let current: { topicArn: string; inbox: AlertInbox } | undefined;

  beforeEach(async () => {
    const suffix = randomUUID().slice(0, 8);
    const topicArn = await createTopic(clients.sns, `alerts-${suffix}`);
    current = { topicArn, inbox: await AlertInbox.subscribe(clients, topicArn, `inbox-${suffix}`) };
  });
  afterAll(() => {
    clients.sns.destroy();
    clients.sqs.destroy();
  });

  const now = () => {
    if (current === undefined) throw new Error('the alert topic is only valid inside a test');
    return current;
  };
  return {
    topicArn: () => now().topicArn,
    inbox: () => now().inbox,
    publisher: (topicArn) => new SnsAlertPublisher(clients.sns, topicArn ?? now().topicArn),
    subscribe: (filterPolicy) =>
      AlertInbox.subscribe(
        clients,
        now().topicArn,
        `filtered-${randomUUID().slice(0, 8)}`,
        filterPolicy,
      ),
  };
}
