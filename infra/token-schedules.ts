import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { TOKEN_INDEX } from '../shared/store/schema';
import type { RotationPolicies } from '../shared/token/rotation-policy';
import type { AlertTopic } from './alert-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import { grantKeyVia } from './kms-grants';
import { ServiceFunction } from './service-function';
import { DEFAULT_RETENTION_DAYS } from '../shared/defaults';

export interface TokenSchedulesProps {
  readonly tokensTable: ITable;
  readonly auditTable: ITable;
  readonly tableKey: IKey;
  readonly alerts: AlertTopic;
  /** When the expiry alert run starts. Default: every hour. */
  readonly alertSchedule?: Schedule;
  /** When the cleanup run starts. Default: daily at 03:17 UTC. */
  readonly cleanupSchedule?: Schedule;
  /** How long an ended token's item is kept before TTL deletes it. Default 90 days. */
  readonly retention?: Duration;
  /** The rotation policies the alert run reports against (already validated). */
  readonly rotationPolicies?: RotationPolicies;
  /**
   * Secrets whose rotation the alert run may start when their token is due under the policy,
   * and the rotation function Secrets Manager then invokes.
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
    const tables = {
      TOKENS_TABLE_NAME: props.tokensTable.tableName,
      AUDIT_TABLE_NAME: props.auditTable.tableName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    this.alertRun = new ScheduledJob(this, 'ExpiryAlerts', {
      entry: join(import.meta.dirname, '../functions/expiry-alerts.ts'),
      description: 'Sends expiry alerts for service tokens',
      purpose: 'A failed expiry alert run',
      schedule: props.alertSchedule ?? Schedule.rate(Duration.hours(1)),
      timeout: ALERT_RUN_TIMEOUT,
      environment: {
        ...tables,
        ALERT_TOPIC_ARN: props.alerts.topic.topicArn,
        ...(props.rotationPolicies === undefined
          ? {}
          : { ROTATION_POLICIES: JSON.stringify(props.rotationPolicies) }),
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
        ...tables,
        RETENTION_DAYS: String((props.retention ?? Duration.days(DEFAULT_RETENTION_DAYS)).toDays()),
      },
      alerts: props.alerts,
    });

    const expiryIndex = `${props.tokensTable.tableArn}/index/${TOKEN_INDEX.byExpiry}`;
    const allow = (job: ScheduledJob, actions: string[], resource: string) => {
      job.fn.role.addToPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [resource] }),
      );
    };
    // Page cursors name a token by id: resolving one reads the id index and the item.
    const idIndex = `${props.tokensTable.tableArn}/index/${TOKEN_INDEX.byTokenId}`;
    // Alerts: read the expiry index, lease/confirm on token items, audit each alert, publish.
    allow(this.alertRun, ['dynamodb:Query'], expiryIndex);
    allow(this.alertRun, ['dynamodb:Query'], idIndex);
    allow(this.alertRun, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], props.tokensTable.tableArn);
    props.alerts.grantPublish(this.alertRun.fn.role);
    // Rotation policy: start the rotation of this stack's secrets only (RotateSecret also needs
    // the caller to be allowed to invoke the rotation function).
    const secrets = props.rotatedSecrets;
    if (secrets !== undefined && secrets.secretArns.length > 0) {
      this.alertRun.fn.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:RotateSecret'],
          resources: [...secrets.secretArns],
        }),
      );
      allow(this.alertRun, ['lambda:InvokeFunction'], secrets.rotationFunction.functionArn);
    }
    // Cleanup: read the expiry index, read-decide-write each ended token, audit it; the same
    // for lapsed rotation requests through the request index.
    allow(this.cleanupRun, ['dynamodb:Query'], expiryIndex);
    allow(
      this.cleanupRun,
      ['dynamodb:Query'],
      `${props.tokensTable.tableArn}/index/${TOKEN_INDEX.byRotationRequest}`,
    );
    allow(this.cleanupRun, ['dynamodb:Query'], idIndex);
    allow(this.cleanupRun, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], props.tokensTable.tableArn);
    for (const job of [this.alertRun, this.cleanupRun]) {
      allow(job, ['dynamodb:PutItem'], props.auditTable.tableArn);
      grantKeyVia(job.fn.role, props.tableKey, 'dynamodb');
    }
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
