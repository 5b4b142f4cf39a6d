/**
 * SNS adapter for alerts: the only module that talks to the alert topic. SDK errors leave it
 * as `AlertPublishError`; the SDK's own retries (throttling, 5xx) have already run by then.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertMessage } from './messages';

export interface AlertPublisher {
  /** Publish one alert; resolves to the SNS message id. */
  publish(alert: AlertMessage): Promise<string>;
}

export class AlertPublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertPublishError';
  }
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: AlertMessage): Promise<string> {
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: alert.subject,
          // Indented: e-mail subscribers read this body as it is.
          Message: JSON.stringify(alert.body, null, 2),
          MessageAttributes: {
            severity: { DataType: 'String', StringValue: alert.attributes.severity },
            owner: { DataType: 'String', StringValue: alert.attributes.owner },
            kind: { DataType: 'String', StringValue: alert.attributes.kind },
          },
        }),
      ));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw new AlertPublishError(`SNS Publish failed: ${name}`, { cause: error });
    }
    if (messageId === undefined) throw new AlertPublishError('SNS Publish returned no MessageId');
    return messageId;
  }
}
