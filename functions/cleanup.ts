/**
 * Cleanup schedule (EventBridge, daily by default). Thin: take the run's clock and id from the
 * event, run shared/schedules/cleanup, count and log the outcome. A token that could not be
 * retired fails the invocation after the rest were handled; it stays in the expiry index, so
 * the retry (or the next run) picks it up.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { cleanupConfigSchema, parseConfig } from '../shared/config';
import { METRICS_NAMESPACE } from '../shared/observability';
import { Cleanup } from '../shared/schedules/cleanup';
import { ScheduleRunFailed, scheduleRun, storesForRun, timeLeft } from '../shared/schedules/run';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(cleanupConfigSchema);
const logger = new Logger({ serviceName: 'token-cleanup' });
const tracer = newTracer('token-cleanup');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-cleanup' });
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));

async function runCleanup(event: unknown, context: Context) {
  const run = scheduleRun(event, config.CLOCK_SOURCE);
  logger.setCorrelationId(run.runId);
  logger.appendKeys({ runId: run.runId, runTime: run.now.toISOString() });
  const stores = storesForRun(dynamo, config, run);
  const cleanup = new Cleanup({ stores, now: () => run.now });
  const report = await cleanup.run(
    { actor: 'system:cleanup', requestId: run.runId },
    timeLeft(context),
  );

  metrics.addMetric('ExpiryIndexItemsRead', MetricUnit.Count, report.itemsRead);
  metrics.addMetric('TokensExpired', MetricUnit.Count, report.expired);
  metrics.addMetric('GraceEnded', MetricUnit.Count, report.graceEnded);
  metrics.addMetric(
    'RotationRequestsExpired',
    MetricUnit.Count,
    report.requestsExpired + report.grantsExpired,
  );
  metrics.addMetric('CleanupFailed', MetricUnit.Count, report.failures.length);
  metrics.addMetric('CleanupIncomplete', MetricUnit.Count, report.complete ? 0 : 1);
  const summary = { ...report, failures: report.failures.length };
  if (!report.complete) logger.warn('Ran out of time; the next run continues', summary);
  if (report.failures.length > 0) {
    logger.error('Some tokens could not be retired', { ...summary, failedTokens: report.failures });
    throw new ScheduleRunFailed(`${String(report.failures.length)} token(s) could not be retired`);
  }
  logger.info('Cleanup run done', summary);
  return summary;
}

export const handler = middy(runCleanup)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
