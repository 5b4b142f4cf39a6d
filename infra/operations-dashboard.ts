import { GraphWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { SEVERITIES } from '../shared/alerts/expiry-rules';
import { DECISION_REASONS } from '../shared/authz/token-authorizer';
import { STORE_ERROR_DECISION } from '../shared/observability';
import { authorizerDecisions, FIVE_MINUTES, platformMetric } from './platform-metrics';
import type { ServiceFunction } from './service-function';

/** What the dashboard graphs: the functions, and the metrics the alarms watch too. */
export interface DashboardSources {
  readonly authorizer: ServiceFunction;
  readonly functions: Readonly<Record<string, ServiceFunction>>;
  readonly tokenTableThrottles: IMetric;
  readonly rotationStepFailures: IMetric;
}

/** The dashboard's graphs, in order: the authorizer, the table, rotation, the jobs, errors. */
export function dashboardWidgets(sources: DashboardSources): IWidget[] {
  return [
    ...authorizerWidgets(sources.authorizer),
    new GraphWidget({ title: 'Token table throttles', left: [sources.tokenTableThrottles] }),
    new GraphWidget({ title: 'Rotation step failures', left: [sources.rotationStepFailures] }),
    ...jobWidgets(),
    new GraphWidget({
      title: 'Lambda errors',
      left: Object.entries(sources.functions).map(([name, fn]) =>
        fn.function.metricErrors({ period: FIVE_MINUTES, label: name }),
      ),
    }),
  ];
}

function authorizerWidgets(authorizer: ServiceFunction): IWidget[] {
  // Every value the authorizer gives the `decision` dimension.
  const decisions = [...DECISION_REASONS, STORE_ERROR_DECISION];
  return [
    new GraphWidget({
      title: 'Authorizer decisions',
      left: decisions.map((decision) => authorizerDecisions(decision, decision)),
    }),
    new GraphWidget({
      title: 'Authorizer duration (p50, p99)',
      left: ['p50', 'p99'].map((statistic) =>
        authorizer.function.metricDuration({ statistic, period: FIVE_MINUTES }),
      ),
    }),
  ];
}

/** Rotations, expiry alerts and cleanup, from the platform's own metrics. */
function jobWidgets(): IWidget[] {
  return [
    new GraphWidget({
      title: 'Rotations started and succeeded',
      left: (
        [
          ['RotationStarted', 'createSecret'],
          ['RotationSucceeded', 'finishSecret'],
        ] as const
      ).map(([metricName, step]) =>
        platformMetric(metricName, { service: 'token-rotation', step }),
      ),
    }),
    new GraphWidget({
      title: 'Tokens within each expiry threshold',
      left: SEVERITIES.map((severity) =>
        platformMetric(
          'TokensWithinThreshold',
          { service: 'token-expiry-alerts', severity },
          { statistic: 'Maximum', label: severity },
        ),
      ),
    }),
    new GraphWidget({
      title: 'Expiry alerts sent',
      left: SEVERITIES.map((severity) =>
        platformMetric(
          'AlertsSent',
          { service: 'token-expiry-alerts', severity },
          { label: severity },
        ),
      ),
    }),
    new GraphWidget({
      title: 'Cleanup',
      left: ['TokensExpired', 'GraceEnded', 'CleanupFailed'].map((metricName) =>
        platformMetric(metricName, { service: 'token-cleanup' }),
      ),
    }),
    new GraphWidget({
      title: 'Revocation flushes (stages flushed, events coalesced, handed back)',
      left: [
        'StagesFlushed',
        'StagesNotFlushed',
        'FlushEventsReceived',
        'FlushEventsCoalesced',
        'FlushEventsHandedBack',
      ].map((metricName) => platformMetric(metricName, { service: 'token-stage-flusher' })),
    }),
  ];
}
