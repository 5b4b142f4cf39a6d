import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up here, for the queue's and the alarm's descriptions. */
  readonly purpose: string;
  /** Where the alarm notifies. */
  readonly alarmTopic: ITopic;
}

/**
 * A dead-letter queue that someone looks at: encrypted, TLS-only, 14 days' retention, and an
 * alarm to the alert topic as soon as one message arrives.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    // SQS-managed encryption: EventBridge and Lambda can both write to it without key grants.
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (a Lambda on-failure destination and an EventBridge target DLQ, which cdk-nag does not recognise); a DLQ of a DLQ would hide failures further.',
    });
    this.alarm = new Alarm(this, 'NotEmpty', {
      alarmDescription: `${props.purpose} landed in the dead-letter queue. Read the message (it carries the event and, for Lambda, the error), fix the cause, then redrive or delete it.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
