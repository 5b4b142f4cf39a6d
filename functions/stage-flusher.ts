/**
 * Flushes the authorizer cache of every protected stage on TokenRevoked, TokenExpired and
 * TokenGraceEnded (SQS event source, partial batch responses). Thin: shared/flush decides what
 * to flush and when; this file wires clients, counts, and logs one line per batch. Messages
 * whose events a stage could not yet be flushed for are handed back to SQS, which delivers them
 * again and finally moves them to the dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseConfig, stageFlusherConfigSchema } from '../shared/config';
import { flushProtectedStages, type FlushReport } from '../shared/flush/flush-stages';
import { FlushLedger } from '../shared/flush/ledger';
import { ApiGatewayStageCache, clientsPerRegion } from '../shared/flush/stage-cache';
import { stageLabel, type ProtectedStage } from '../shared/flush/stages';
import { METRICS_NAMESPACE } from '../shared/observability';
import { openApiRegistry } from '../shared/store/api-registry';
import { newTracer, traceInvocations } from '../shared/tracing';

const SERVICE = 'token-stage-flusher';
const config = parseConfig(stageFlusherConfigSchema);
const logger = new Logger({ serviceName: SERVICE });
const tracer = newTracer(SERVICE);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });
const ledger = new FlushLedger({ minIntervalMs: config.FLUSH_WINDOW_SECONDS * 1000 });
const cache = new ApiGatewayStageCache(clientsPerRegion());
const platformStage: ProtectedStage = {
  apiId: config.REST_API_ID,
  stage: config.STAGE_NAME,
  kind: 'rest',
  region: config.AWS_REGION,
  account: config.PLATFORM_ACCOUNT,
};
// Listed afresh on every batch: a stage registered a moment ago is flushed on the next revoke.
const registry = openApiRegistry({
  client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  tableName: config.REGISTRY_TABLE_NAME,
});

async function flush(event: unknown) {
  const report = await flushProtectedStages(event, {
    platformStage,
    listStages: () => registry.listStages(),
    cache,
    ledger,
    home: { account: config.PLATFORM_ACCOUNT, region: config.AWS_REGION },
  });
  count(report);
  const summary = {
    events: report.triggers.length,
    flushes: report.flushes.map((f) => ({
      stage: stageLabel(f.stage),
      outcome: f.outcome.kind,
      ...('error' in f.outcome ? { error: f.outcome.error } : {}),
      events: f.events,
      waitedMs: f.waitedMs,
    })),
    coalesced: report.coalesced,
    alreadyCovered: report.alreadyCovered,
    foreign: report.foreign.map(stageLabel),
    listingError: report.listingError,
    handedBack: report.batchItemFailures.length,
  };
  if (report.batchItemFailures.length > 0) {
    logger.warn('Some stages were not flushed; SQS delivers their events again', summary);
  } else logger.info('Stages flushed', summary);
  for (const gone of report.flushes.filter((f) => f.outcome.kind === 'gone')) {
    logger.info('Stage no longer exists, skipped', { stage: stageLabel(gone.stage) });
  }
  return { batchItemFailures: report.batchItemFailures };
}

function count(report: FlushReport): void {
  metrics.addMetric('FlushEventsReceived', MetricUnit.Count, report.triggers.length);
  metrics.addMetric('FlushEventsCoalesced', MetricUnit.Count, report.coalesced);
  metrics.addMetric('FlushEventsHandedBack', MetricUnit.Count, report.batchItemFailures.length);
  metrics.addMetric('StageListingFailed', MetricUnit.Count, report.listingError ? 1 : 0);
  // Totals without the Stage dimension, for the dashboard; per stage below.
  const outcomes = report.flushes.map((f) => f.outcome.kind);
  const flushed = outcomes.filter((kind) => kind === 'flushed').length;
  metrics.addMetric('StagesFlushed', MetricUnit.Count, flushed);
  metrics.addMetric('StagesNotFlushed', MetricUnit.Count, outcomes.length - flushed);
  for (const flush of report.flushes) {
    const name = {
      flushed: 'StageFlushes',
      gone: 'StagesGone',
      throttled: 'StageFlushesThrottled',
      failed: 'StageFlushFailures',
    }[flush.outcome.kind];
    const single = metrics.singleMetric();
    single.addDimension('Stage', stageLabel(flush.stage));
    single.addMetric(name, MetricUnit.Count, 1);
  }
}

export const handler = middy(flush)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
