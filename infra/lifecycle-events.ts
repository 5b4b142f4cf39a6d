import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { EVENT_SOURCE } from '../shared/events/lifecycle';
import { TOKEN_INDEX } from '../shared/store/schema';
import type { AlertTopic } from './alert-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import { ServiceFunction } from './service-function';
import type { TokenTables } from './token-tables';

/** What a consumer account may do with its own rules on the bus (AWS's documented set). */
const CONSUMER_RULE_ACTIONS = [
  'events:PutRule',
  'events:DeleteRule',
  'events:DescribeRule',
  'events:DisableRule',
  'events:EnableRule',
  'events:PutTargets',
  'events:RemoveTargets',
];

/** FilterRule.isEqual, typed (aws-cdk-lib returns `any`). */
const equals = (value: string): unknown => FilterRule.isEqual(value);

export interface LifecycleEventsProps {
  /** The events come from the audit table's stream; the relay reads token records for them. */
  readonly tables: TokenTables;
  /** Where the dead-letter queue's and the iterator age alarms notify. */
  readonly alerts: AlertTopic;
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(90)
   */
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
    this.bus = new EventBus(this, 'Bus', {
      eventBusName: `${Stack.of(this).stackName}-token-lifecycle`,
    });
    this.allowConsumerRules(props.tables.consumerAccounts);
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
        TOKENS_TABLE_NAME: props.tables.tokens.tableName,
        EVENT_BUS_NAME: this.bus.eventBusName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    // The stream through a view without the key: the key is granted through DynamoDB
    // (kms:ViaService) like every other role's, instead of an unconditioned kms:Decrypt.
    props.tables.grantAuditStreamRead(this.relay.role);
    this.relay.function.addEventSource(
      new DynamoEventSource(props.tables.auditStreamIn(this), {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.deadLetters.queue),
        // Only successful changes become events; the relay ignores the rest anyway, but they
        // would cost invocations (local/aws/stream-poller.ts applies the same filter).
        filters: [
          FilterCriteria.filter({
            eventName: equals('INSERT'),
            dynamodb: { NewImage: { outcome: { S: equals('success') } } },
          }),
        ],
      }),
    );
    // The relay also reads token records (for the name and scopes an event carries; decrypt
    // only, nothing is written) and publishes to this bus only.
    props.tables.grantTokenRead(this.relay.role, [TOKEN_INDEX.byTokenId]);
    this.relay.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );

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

  /**
   * Consumer accounts (`consumerAccounts`) may keep rules of their own on this bus, to flush
   * their own stages: create, change and delete rules they created (events:creatorAccount), on
   * this bus only, matching this source only. The rules' targets are in their accounts.
   */
  private allowConsumerRules(accounts: readonly string[]): void {
    if (accounts.length === 0) return;
    const { partition, region, account } = Stack.of(this);
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'ConsumerAccountsOwnRules',
        principals: accounts.map((consumer) => new AccountPrincipal(consumer)),
        actions: CONSUMER_RULE_ACTIONS,
        resources: [`arn:${partition}:events:${region}:${account}:rule/${this.bus.eventBusName}/*`],
        conditions: {
          StringEqualsIfExists: {
            'events:creatorAccount': '${aws:PrincipalAccount}',
            'events:source': EVENT_SOURCE,
          },
        },
      }),
    );
  }
}
