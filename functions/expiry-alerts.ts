/**
 * Expiry alert schedule (EventBridge, hourly by default). Thin: take the run's clock and id from
 * the event, run shared/schedules/expiry-alerter, the rotation-policy report
 * (shared/schedules/rotation-policy) and, when the deployed policies changed, the due-date
 * backfill (shared/schedules/policy-backfill) with the time left; count and log the outcome. Any failed alert
 * fails the invocation after the rest were handled: Lambda retries it (sent alerts are not
 * sent again) and, when retries run out, the event goes to the dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SEVERITIES } from '../shared/alerts/expiry-rules';
import { SnsAlertPublisher } from '../shared/alerts/publisher';
import { alertsConfigSchema, parseConfig } from '../shared/config';
import { METRICS_NAMESPACE } from '../shared/observability';
import { SecretsManagerRotationStarter } from '../shared/rotation/rotate-now';
import { ExpiryAlerter } from '../shared/schedules/expiry-alerter';
import { PolicyBackfill } from '../shared/schedules/policy-backfill';
import { RotationPolicyRun } from '../shared/schedules/rotation-policy';
import { ScheduleRunFailed, scheduleRun, storesForRun, timeLeft } from '../shared/schedules/run';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(alertsConfigSchema);
const logger = new Logger({ serviceName: 'token-expiry-alerts' });
const tracer = newTracer('token-expiry-alerts');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-expiry-alerts' });
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
const publisher = new SnsAlertPublisher(
  tracer.captureAWSv3Client(new SNSClient({})),
  config.ALERT_TOPIC_ARN,
);
const rotations = new SecretsManagerRotationStarter(
  tracer.captureAWSv3Client(new SecretsManagerClient({})),
);

async function runAlerts(event: unknown, context: Context) {
  const run = scheduleRun(event, config.CLOCK_SOURCE);
  logger.setCorrelationId(run.runId);
  logger.appendKeys({ runId: run.runId, runTime: run.now.toISOString() });
  const stores = storesForRun(dynamo, config, run);
  const alerter = new ExpiryAlerter({ stores, publisher, now: () => run.now });
  const audit = { actor: 'system:expiry-alerts', requestId: run.runId };
  const hasTime = timeLeft(context);
  const expiry = await alerter.run(audit, hasTime);
  const policy = await new RotationPolicyRun({
    stores,
    publisher,
    rotations,
    policies: config.ROTATION_POLICIES,
    now: () => run.now,
  }).run(audit, hasTime);
  // Last, so a long backfill never takes the passes' time; it resumes on the next run.
  const backfill = await new PolicyBackfill({
    stores,
    policies: config.ROTATION_POLICIES,
    now: () => run.now,
  }).run(hasTime);
  const report = {
    ...expiry,
    policyItemsRead: policy.itemsRead,
    failures: [...expiry.failures, ...policy.failures, ...backfill.failures],
    complete: expiry.complete && policy.complete && backfill.complete,
    unconfirmed: expiry.unconfirmed + policy.unconfirmed,
    rotationPolicy: {
      due: policy.due,
      reported: policy.reported,
      started: policy.rotationsStarted,
      startFailed: policy.rotationStartFailures,
      rescheduled: policy.rescheduled,
      dropped: policy.dropped,
    },
    ...(backfill.ran
      ? { policyBackfill: { itemsRead: backfill.itemsRead, updated: backfill.updated } }
      : {}),
  };
  metrics.addMetric('PolicyItemsRead', MetricUnit.Count, policy.itemsRead);
  metrics.addMetric('TokensDueForRotation', MetricUnit.Count, policy.due.age + policy.due.usage);
  metrics.addMetric('RotationDueReported', MetricUnit.Count, policy.reported);
  metrics.addMetric('PolicyRotationsStarted', MetricUnit.Count, policy.rotationsStarted);
  metrics.addMetric('PolicyRotationStartFailed', MetricUnit.Count, policy.rotationStartFailures);
  metrics.addMetric('PolicyBackfillItemsRead', MetricUnit.Count, backfill.itemsRead);

  metrics.addMetric('ExpiryIndexItemsRead', MetricUnit.Count, report.itemsRead);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, report.failures.length);
  metrics.addMetric('AlertsUnconfirmed', MetricUnit.Count, report.unconfirmed);
  metrics.addMetric('AlertRunIncomplete', MetricUnit.Count, report.complete ? 0 : 1);
  for (const severity of SEVERITIES) {
    // One single-metric set per metric: a set publishes and drops its dimensions on addMetric.
    for (const [name, value] of [
      ['AlertsSent', report.sent[severity]],
      ['TokensWithinThreshold', report.within[severity]],
    ] as const) {
      const bySeverity = metrics.singleMetric();
      bySeverity.addDimension('severity', severity);
      bySeverity.addMetric(name, MetricUnit.Count, value);
    }
  }
  const summary = { ...report, failures: report.failures.length };
  if (report.unconfirmed > 0) {
    logger.warn('Some alert leases lapsed before confirmation; those alerts may repeat', summary);
  }
  if (report.failures.length > 0) {
    logger.error('Some alerts failed; their leases were released', {
      ...summary,
      failedTokens: report.failures,
    });
    throw new ScheduleRunFailed(`${String(report.failures.length)} alert(s) failed`);
  }
  logger.info('Expiry alert run done', summary);
  return summary;
}

export const handler = middy(runAlerts)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
