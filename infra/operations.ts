import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { STORE_ERROR_DECISION } from '../shared/observability';
import { dashboardWidgets } from './operations-dashboard';
import {
  authorizerDecisions,
  FIVE_MINUTES,
  rotationStepFailures,
  tokenTableThrottles,
} from './platform-metrics';
import type { ServiceFunction } from './service-function';

export interface OperationsProps {
  /** Where every alarm notifies. */
  readonly alarmTopic: ITopic;
  /** The token table, whose throttling is alarmed on and graphed. */
  readonly tokensTable: Table;
  readonly authorizer: ServiceFunction;
  /** Every function of the stack, by a short name for alarm names and the dashboard. */
  readonly functions: Readonly<Record<string, ServiceFunction>>;
  /**
   * Authorizer p99 duration that pages someone.
   * @default Duration.seconds(1)
   */
  readonly authorizerP99Threshold?: Duration;
}

interface AlarmOptions {
  readonly threshold: number;
  readonly evaluationPeriods?: number;
  readonly description: string;
}

/**
 * Alarms that notify the alert topic, and one dashboard. Each alarm's description says what it
 * means and what to do; the README's runbook repeats it.
 */
export class Operations extends Construct {
  readonly alarms: Record<string, Alarm> = {};
  readonly dashboard: Dashboard;
  private readonly alarmTopic: ITopic;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    const throttles = tokenTableThrottles(props.tokensTable);
    const rotationFailures = rotationStepFailures();
    this.addAuthorizerAlarms(props);
    this.alarm('TokenTableThrottles', throttles, {
      threshold: 1,
      description:
        'Requests to the token table were throttled. On-demand tables throttle on sudden spikes or hot keys (the expiry index has one partition): check which operation and index.',
    });
    this.alarm('RotationFailures', rotationFailures, {
      threshold: 1,
      description:
        'A Secrets Manager rotation step failed (Secrets Manager retries it). Read the rotation logs by rotationVersionId; see the runbook for a stuck rotation.',
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, fn.function.metricErrors({ period: FIVE_MINUTES }), {
        threshold: 1,
        description: `The ${name} Lambda reported errors (uncaught failures). Read its log group for the error and the correlation id.`,
      });
    }
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      ...dashboardWidgets({
        authorizer: props.authorizer,
        functions: props.functions,
        tokenTableThrottles: throttles,
        rotationStepFailures: rotationFailures,
      }),
    );
  }

  /** The authorizer failed closed, or is slow: every uncached request waits for it. */
  private addAuthorizerAlarms(props: OperationsProps): void {
    this.alarm('AuthorizerStoreErrors', authorizerDecisions(STORE_ERROR_DECISION), {
      threshold: 1,
      description:
        'The authorizer could not read the token table and failed closed (clients got 503). Check the table throttling metrics and the authorizer logs.',
    });
    this.alarm(
      'AuthorizerLatencyP99',
      props.authorizer.function.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
      {
        threshold: (props.authorizerP99Threshold ?? Duration.seconds(1)).toMilliseconds(),
        evaluationPeriods: 3,
        description:
          'Authorizer p99 duration is high for 15 minutes: every uncached request waits for it. Check DynamoDB latency and throttling, and cold starts.',
      },
    );
  }

  private alarm(id: string, metric: IMetric, options: AlarmOptions): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms[id] = alarm;
  }
}
