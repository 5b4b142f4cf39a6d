import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { ROTATION_STEPS } from '../shared/rotation/rotator';
import { METRICS_NAMESPACE } from '../shared/observability';

/** The period of every alarm and graph of the platform. */
export const FIVE_MINUTES = Duration.minutes(5);

/** One of this platform's metrics (METRICS_NAMESPACE), over 5 minutes, labelled. */
export function platformMetric(
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

/** The authorizer's decisions with one value of the `decision` dimension. */
export function authorizerDecisions(decision: string, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'Decisions',
    dimensionsMap: { service: 'token-authorizer', decision },
    statistic: 'Sum',
    period: FIVE_MINUTES,
    ...(label === undefined ? {} : { label }),
  });
}

/** Throttled requests to the token table, over every operation the functions use. */
export function tokenTableThrottles(table: Table): IMetric {
  return table.metricThrottledRequestsForOperations({
    operations: [
      Operation.GET_ITEM,
      Operation.PUT_ITEM,
      Operation.UPDATE_ITEM,
      Operation.QUERY,
      Operation.TRANSACT_WRITE_ITEMS,
    ],
    period: FIVE_MINUTES,
  });
}

/** Failed rotation steps, summed over every step of the Secrets Manager rotation. */
export function rotationStepFailures(): MathExpression {
  return new MathExpression({
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
}
