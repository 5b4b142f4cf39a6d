import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SEVERITIES } from '../shared/alerts/expiry-rules';
import { ROTATION_STEPS } from '../shared/rotation/rotator';
import { DECISION_REASONS } from '../shared/authz/token-authorizer';
import { METRICS_NAMESPACE, STORE_ERROR_DECISION } from '../shared/observability';
import type { ServiceFunction } from './service-function';

/** One of this platform's metrics (METRICS_NAMESPACE), over 5 minutes. */
function custom(
  metricName: string,
  dimensionsMap: Record<string, string>,
  options: { statistic?: string; label?: string } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap,
    statistic: options.statistic ?? 'Sum',
    period: FIVE_MINUTES,
    label: options.label ?? metricName,
  });
}

export interface OperationsProps {
  readonly alarmTopic: ITopic;
  readonly tokensTable: Table;
  readonly authorizer: ServiceFunction;
  /** Every function of the stack, by a short name for alarm names and the dashboard. */
  readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** Authorizer p99 duration that pages someone. Default 1 s. */
  readonly authorizerP99Threshold?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms that notify the alert topic, and one dashboard. Each alarm's description says what it
 * means and what to do; the README's runbook repeats it.
 */
export class Operations extends Construct {
  readonly alarms: Record<string, Alarm> = {};
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const storeErrors = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'Decisions',
      dimensionsMap: { service: 'token-authorizer', decision: STORE_ERROR_DECISION },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    this.alarm('AuthorizerStoreErrors', storeErrors, {
      threshold: 1,
      description:
        'The authorizer could not read the token table and failed closed (clients got 503). Check the table throttling metrics and the authorizer logs.',
      props,
    });
    this.alarm(
      'AuthorizerLatencyP99',
      props.authorizer.function.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
      {
        threshold: (props.authorizerP99Threshold ?? Duration.seconds(1)).toMilliseconds(),
        evaluationPeriods: 3,
        description:
          'Authorizer p99 duration is high for 15 minutes: every uncached request waits for it. Check DynamoDB latency and throttling, and cold starts.',
        props,
      },
    );
    const throttles = props.tokensTable.metricThrottledRequestsForOperations({
      operations: [
        Operation.GET_ITEM,
        Operation.PUT_ITEM,
        Operation.UPDATE_ITEM,
        Operation.QUERY,
        Operation.TRANSACT_WRITE_ITEMS,
      ],
      period: FIVE_MINUTES,
    });
    this.alarm('TokenTableThrottles', throttles, {
      threshold: 1,
      description:
        'Requests to the token table were throttled. On-demand tables throttle on sudden spikes or hot keys (the expiry index has one partition): check which operation and index.',
      props,
    });
    const rotationFailures = new MathExpression({
      expression: ROTATION_STEPS.map((_, i) => `f${String(i)}`).join(' + '),
      usingMetrics: Object.fromEntries(
        ROTATION_STEPS.map((step, i) => [
          `f${String(i)}`,
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'RotationStepFailed',
            dimensionsMap: { service: 'token-rotation', step },
            statistic: 'Sum',
          }),
        ]),
      ),
      period: FIVE_MINUTES,
      label: 'Rotation steps failed',
    });
    this.alarm('RotationFailures', rotationFailures, {
      threshold: 1,
      description:
        'A Secrets Manager rotation step failed (Secrets Manager retries it). Read the rotation logs by rotationVersionId; see the runbook for a stuck rotation.',
      props,
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, fn.function.metricErrors({ period: FIVE_MINUTES }), {
        threshold: 1,
        description: `The ${name} Lambda reported errors (uncaught failures). Read its log group for the error and the correlation id.`,
        props,
      });
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    // Every value the authorizer gives the `decision` dimension.
    const decisions = [...DECISION_REASONS, STORE_ERROR_DECISION];
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Authorizer decisions',
        left: decisions.map(
          (decision) =>
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'Decisions',
              dimensionsMap: { service: 'token-authorizer', decision },
              statistic: 'Sum',
              period: FIVE_MINUTES,
              label: decision,
            }),
        ),
      }),
      new GraphWidget({
        title: 'Authorizer duration (p50, p99)',
        left: ['p50', 'p99'].map((statistic) =>
          props.authorizer.function.metricDuration({ statistic, period: FIVE_MINUTES }),
        ),
      }),
      new GraphWidget({ title: 'Token table throttles', left: [throttles] }),
      new GraphWidget({ title: 'Rotation step failures', left: [rotationFailures] }),
      new GraphWidget({
        title: 'Rotations started and succeeded',
        left: (
          [
            ['RotationStarted', 'createSecret'],
            ['RotationSucceeded', 'finishSecret'],
          ] as const
        ).map(([metricName, step]) => custom(metricName, { service: 'token-rotation', step })),
      }),
      new GraphWidget({
        title: 'Tokens within each expiry threshold',
        left: SEVERITIES.map((severity) =>
          custom(
            'TokensWithinThreshold',
            { service: 'token-expiry-alerts', severity },
            { statistic: 'Maximum', label: severity },
          ),
        ),
      }),
      new GraphWidget({
        title: 'Expiry alerts sent',
        left: SEVERITIES.map((severity) =>
          custom('AlertsSent', { service: 'token-expiry-alerts', severity }, { label: severity }),
        ),
      }),
      new GraphWidget({
        title: 'Cleanup',
        left: ['TokensExpired', 'GraceEnded', 'CleanupFailed'].map((metricName) =>
          custom(metricName, { service: 'token-cleanup' }),
        ),
      }),
      new GraphWidget({
        title: 'Lambda errors',
        left: Object.entries(props.functions).map(([name, fn]) =>
          fn.function.metricErrors({ period: FIVE_MINUTES, label: name }),
        ),
      }),
    );
  }

  private alarm(
    id: string,
    metric: IMetric,
    options: {
      threshold: number;
      evaluationPeriods?: number;
      description: string;
      props: OperationsProps;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(options.props.alarmTopic));
    this.alarms[id] = alarm;
  }
}
