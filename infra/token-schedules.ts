import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { TOKEN_INDEX } from '../shared/store/schema';
import type { RotationPolicies } from '../shared/token/rotation-policy';
import type { AlertTopic } from './alert-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import { ServiceFunction } from './service-function';
import {
  policiesEnvironment,
  retentionDays,
  type TokenRetentionProps,
  type TokenTables,
} from './token-tables';

export interface TokenSchedulesProps extends TokenRetentionProps {
  /** The tables both runs read tokens from and append audit events to. */
  readonly tables: TokenTables;
  /** Where alerts are published, and where the dead-letter queues' alarms notify. */
  readonly alerts: AlertTopic;
  /**
   * When the expiry alert run starts.
   * @default Schedule.rate(Duration.hours(1))
   */
  readonly alertSchedule?: Schedule;
  /**
   * When the cleanup run starts.
   * @default Schedule.cron({ hour: '3', minute: '17' }) (daily at 03:17 UTC)
   */
  readonly cleanupSchedule?: Schedule;
  /**
   * The rotation policies the alert run reports against (already validated).
   * @default - the functions' default: 90 days, 30 under heavy use
   */
  readonly rotationPolicies?: RotationPolicies;
  /**
   * Secrets whose rotation the alert run may start when their token is due under the policy,
   * and the rotation function Secrets Manager then invokes.
   * @default - the alert run starts no rotation
   */
  readonly rotatedSecrets?: {
    readonly secretArns: readonly string[];
    readonly rotationFunction: IFunction;
  };
}

/** The alert run's timeout; its alert leases (15 minutes) must outlast it. */
export const ALERT_RUN_TIMEOUT = Duration.minutes(5);

/**
 * The two scheduled jobs: expiry alerts and cleanup. Each is a Lambda on an EventBridge rule.
 * A run that fails is retried twice by Lambda; then the event goes to the job's dead-letter
 * queue, which alarms. Both read the sparse expiry index only.
 */
export class TokenSchedules extends Construct {
  readonly alertRun: ScheduledJob;
  readonly cleanupRun: ScheduledJob;

  constructor(scope: Construct, id: string, props: TokenSchedulesProps) {
    super(scope, id);
    const tableNames = {
      TOKENS_TABLE_NAME: props.tables.tokens.tableName,
      AUDIT_TABLE_NAME: props.tables.audit.tableName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    this.alertRun = new ScheduledJob(this, 'ExpiryAlerts', {
      entry: join(import.meta.dirname, '../functions/expiry-alerts.ts'),
      description: 'Sends expiry alerts for service tokens',
      purpose: 'A failed expiry alert run',
      schedule: props.alertSchedule ?? Schedule.rate(Duration.hours(1)),
      timeout: ALERT_RUN_TIMEOUT,
      environment: {
        ...tableNames,
        ALERT_TOPIC_ARN: props.alerts.topic.topicArn,
        ...policiesEnvironment(props.rotationPolicies),
      },
      alerts: props.alerts,
    });
    this.cleanupRun = new ScheduledJob(this, 'Cleanup', {
      entry: join(import.meta.dirname, '../functions/cleanup.ts'),
      description: 'Retires expired service tokens',
      purpose: 'A failed cleanup run',
      schedule: props.cleanupSchedule ?? Schedule.cron({ hour: '3', minute: '17' }),
      timeout: Duration.minutes(15),
      environment: {
        ...tableNames,
        RETENTION_DAYS: retentionDays(props),
      },
      alerts: props.alerts,
    });
    this.grantAlertRun(props);
    this.grantCleanupRun(props.tables);
  }

  /**
   * Read the expiry index, lease and confirm alerts on token items, audit each alert, publish;
   * start the rotation of this stack's secrets only (RotateSecret also needs the caller to be
   * allowed to invoke the rotation function).
   */
  private grantAlertRun(props: TokenSchedulesProps): void {
    const role = this.alertRun.fn.role;
    // Page cursors name a token by id: resolving one reads the id index and the item. The
    // policy pass reads the due index; the run's state item is updated in place (UpdateItem).
    props.tables.grantTokenUpdate(role, [
      TOKEN_INDEX.byExpiry,
      TOKEN_INDEX.byTokenId,
      TOKEN_INDEX.byPolicyDue,
    ]);
    props.alerts.grantPublish(role);
    const secrets = props.rotatedSecrets;
    if (secrets !== undefined && secrets.secretArns.length > 0) {
      role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:RotateSecret'],
          resources: [...secrets.secretArns],
        }),
      );
      role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['lambda:InvokeFunction'],
          resources: [secrets.rotationFunction.functionArn],
        }),
      );
    }
    props.tables.grantAuditAppend(role);
  }

  /**
   * Read the expiry index, read-decide-write each ended token, audit it; the same for lapsed
   * rotation requests through the request index.
   */
  private grantCleanupRun(tables: TokenTables): void {
    const role = this.cleanupRun.fn.role;
    tables.grantTokenUpdate(role, [
      TOKEN_INDEX.byExpiry,
      TOKEN_INDEX.byRotationRequest,
      TOKEN_INDEX.byTokenId,
    ]);
    tables.grantAuditAppend(role);
  }
}

interface ScheduledJobProps {
  readonly entry: string;
  readonly description: string;
  readonly purpose: string;
  readonly schedule: Schedule;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly alerts: AlertTopic;
}

/** A Lambda on a schedule with one dead-letter queue for both ways a run can be lost. */
class ScheduledJob extends Construct {
  readonly fn: ServiceFunction;
  readonly rule: Rule;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: props.purpose,
      alarmTopic: props.alerts.topic,
    });
    this.fn = new ServiceFunction(this, 'Function', {
      entry: props.entry,
      description: props.description,
      timeout: props.timeout,
      environment: props.environment,
      // The run failed after Lambda's own retries.
      onFailure: new SqsDestination(this.deadLetters.queue),
      retryAttempts: 2,
    });
    this.rule = new Rule(this, 'Schedule', {
      description: `Starts: ${props.description}`,
      schedule: props.schedule,
      targets: [
        // EventBridge could not hand the event to Lambda at all.
        new LambdaFunction(this.fn.function, {
          deadLetterQueue: this.deadLetters.queue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
