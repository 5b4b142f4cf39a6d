/**
 * Relays the audit table's stream to the lifecycle event bus (DynamoDB Streams event source,
 * partial batch responses). Thin: shared/events maps and publishes; this file wires clients,
 * counts, and logs one line per batch. Records that cannot be published are handed back to
 * Lambda, which retries from the first of them and finally sends the batch's description to
 * the dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { lifecycleConfigSchema, parseConfig } from '../shared/config';
import { LifecyclePublisher } from '../shared/events/publisher';
import { relayAuditRecords } from '../shared/events/stream';
import { METRICS_NAMESPACE } from '../shared/observability';
import { TokenStoreError } from '../shared/store/errors';
import { openTokenReader } from '../shared/store';
import { newTracer, traceInvocations } from '../shared/tracing';

const batchStartSchema = z.object({
  Records: z.array(z.object({ dynamodb: z.object({ SequenceNumber: z.string() }) })),
});

const config = parseConfig(lifecycleConfigSchema);
const logger = new Logger({ serviceName: 'token-lifecycle-events' });
const tracer = newTracer('token-lifecycle-events');
const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: 'token-lifecycle-events',
});
const tokens = openTokenReader({
  client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  tokensTable: config.TOKENS_TABLE_NAME,
});
const publisher = new LifecyclePublisher(
  tracer.captureAWSv3Client(new EventBridgeClient({})),
  config.EVENT_BUS_NAME,
);

async function relay(event: unknown) {
  logger.setCorrelationId(firstSequence(event));
  const report = await relayAuditRecords(event, {
    // A record that cannot be read is not worth blocking the stream for: publish without it.
    tokenFacts: (tokenId) =>
      tokens.getById(tokenId).catch((error: unknown) => {
        if (error instanceof TokenStoreError && error.code === 'corrupt-item') return undefined;
        throw error;
      }),
    publish: (events) => publisher.publish(events),
  });
  metrics.addMetric('LifecycleEventsPublished', MetricUnit.Count, report.published);
  metrics.addMetric('LifecycleEventsRetried', MetricUnit.Count, report.retried);
  metrics.addMetric('LifecycleEventsFailed', MetricUnit.Count, report.failed.length);
  metrics.addMetric('LifecycleEventsWithoutFacts', MetricUnit.Count, report.withoutFacts);
  metrics.addMetric('LifecycleEventsRedacted', MetricUnit.Count, report.redacted);
  metrics.addMetric(
    'LifecycleBatchStopped',
    MetricUnit.Count,
    report.stoppedAt === undefined ? 0 : 1,
  );
  const summary = {
    published: report.published,
    retried: report.retried,
    ignored: report.ignored,
    withoutFacts: report.withoutFacts,
    redacted: report.redacted,
    failed: report.failed,
    stoppedAt: report.stoppedAt,
  };
  if (report.failed.length > 0 || report.stoppedAt !== undefined) {
    logger.warn('Some records were handed back; Lambda retries them, then dead-letters', summary);
  } else logger.info('Batch relayed', summary);
  return { batchItemFailures: report.batchItemFailures };
}

/** The batch's first sequence number: where a retry of this batch starts. */
function firstSequence(event: unknown): string | undefined {
  const parsed = batchStartSchema.safeParse(event);
  return parsed.success ? parsed.data.Records[0]?.dynamodb.SequenceNumber : undefined;
}

export const handler = middy(relay)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
