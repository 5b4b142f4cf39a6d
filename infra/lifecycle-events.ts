import { Duration, type Stack } from 'aws-cdk-lib';
import { Table, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { EVENT_SOURCE } from '../shared/events/lifecycle';
import { TOKEN_INDEX } from '../shared/store/schema';
import type { AlertTopic } from './alert-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import { grantKeyVia } from './kms-grants';
import { ServiceFunction } from './service-function';

/** FilterRule.isEqual, typed (aws-cdk-lib returns `any`). */
const equals = (value: string): unknown => FilterRule.isEqual(value);

export interface LifecycleEventsProps {
  readonly tokensTable: ITable;
  /** Must have a NEW_IMAGE stream (shared/store/schema.ts). */
  readonly auditTable: ITable;
  readonly tableKey: IKey;
  readonly alerts: AlertTopic;
  /** How long the archive keeps events for replay. Default 90 days. */
  readonly archiveRetention?: Duration;
}

/**
 * Token lifecycle events on a custom EventBridge bus, derived from the audit table's stream
 * (see shared/events/lifecycle.ts): a relay Lambda on the stream, with partial batch
 * responses, bisection, retries and a dead-letter queue; an archive for replays.
 */
export class LifecycleEvents extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  readonly relay: ServiceFunction;
  readonly deadLetters: DeadLetterQueue;
  readonly iteratorAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: LifecycleEventsProps) {
    super(scope, id);
    const stack: Stack = props.tokensTable.stack;
    this.bus = new EventBus(this, 'Bus', { eventBusName: `${stack.stackName}-token-lifecycle` });
    this.archive = this.bus.archive('Archive', {
      description: 'Every token lifecycle event, for replays',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(90),
    });
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'Audit stream records whose lifecycle events could not be published',
      alarmTopic: props.alerts.topic,
    });
    this.relay = new ServiceFunction(this, 'Relay', {
      entry: join(import.meta.dirname, '../functions/lifecycle-events.ts'),
      description: 'Publishes token lifecycle events from the audit stream',
      timeout: Duration.seconds(30),
      environment: {
        TOKENS_TABLE_NAME: props.tokensTable.tableName,
        EVENT_BUS_NAME: this.bus.eventBusName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    // The stream through an imported view of the table: the event source then grants the
    // stream reads only, and the key is granted below through DynamoDB (kms:ViaService) like
    // every other role's, instead of an unconditioned kms:Decrypt.
    const streamArn = props.auditTable.tableStreamArn;
    if (streamArn === undefined) throw new Error('The audit table needs a stream');
    const auditStream = Table.fromTableAttributes(this, 'AuditStream', {
      tableArn: props.auditTable.tableArn,
      tableStreamArn: streamArn,
    });
    this.relay.function.addEventSource(
      new DynamoEventSource(auditStream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.deadLetters.queue),
        // Only successful changes become events; the relay ignores the rest anyway, but they
        // would cost invocations (local/stream-poller.ts applies the same filter).
        filters: [
          FilterCriteria.filter({
            eventName: equals('INSERT'),
            dynamodb: { NewImage: { outcome: { S: equals('success') } } },
          }),
        ],
      }),
    );
    // The event source grants the stream reads; the relay also reads token records (for the
    // name and scopes an event carries) and publishes to this bus only.
    const role = this.relay.role;
    const allow = (actions: string[], resources: string[]) => {
      role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources }));
    };
    allow(['dynamodb:Query'], [`${props.tokensTable.tableArn}/index/${TOKEN_INDEX.byTokenId}`]);
    allow(['dynamodb:GetItem'], [props.tokensTable.tableArn]);
    allow(['events:PutEvents'], [this.bus.eventBusArn]);
    // Reads only: the stream and token items are decrypted, nothing is written.
    grantKeyVia(role, props.tableKey, 'dynamodb', ['kms:Decrypt']);

    // A stream the relay falls behind on (it cannot read, or keeps failing) loses records
    // after 24 hours: page well before.
    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAge', {
      alarmDescription:
        'The lifecycle relay is more than 15 minutes behind the audit stream (records expire after 24 h). Read its log for handed-back batches and errors.',
      metric: this.relay.function.metric('IteratorAge', {
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 15 * 60 * 1000,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.iteratorAgeAlarm.addAlarmAction(new SnsAction(props.alerts.topic));
  }
}
