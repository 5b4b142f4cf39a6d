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
import { lifecycleConfigSchema, parseConfig } from '../shared/config';
import { LifecyclePublisher } from '../shared/events/publisher';
import { relayAuditRecords } from '../shared/events/stream';
import { METRICS_NAMESPACE } from '../shared/observability';
import { TokenStore } from '../shared/store/token-store';

const config = parseConfig(lifecycleConfigSchema);
const logger = new Logger({ serviceName: 'token-lifecycle-events' });
const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: 'token-lifecycle-events',
});
const store = new TokenStore({
  client: new DynamoDBClient({}),
  tokensTable: config.TOKENS_TABLE_NAME,
});
const publisher = new LifecyclePublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);

async function relay(event: unknown) {
  const report = await relayAuditRecords(event, {
    tokenFacts: (tokenId) => store.getById(tokenId),
    publish: (events) => publisher.publish(events),
  });
  metrics.addMetric('LifecycleEventsPublished', MetricUnit.Count, report.published);
  metrics.addMetric('LifecycleEventsRetried', MetricUnit.Count, report.retried);
  metrics.addMetric('LifecycleEventsFailed', MetricUnit.Count, report.failed.length);
  metrics.addMetric('AuditRecordsUnreadable', MetricUnit.Count, report.unreadable.length);
  const summary = {
    published: report.published,
    retried: report.retried,
    ignored: report.ignored,
    failed: report.failed,
    unreadable: report.unreadable,
  };
  if (report.unreadable.length > 0) {
    logger.error('Some audit records could not be read; they were skipped', summary);
  }
  if (report.failed.length > 0)
    logger.warn('Some events were not published; Lambda retries them', summary);
  else logger.info('Batch relayed', summary);
  return { batchItemFailures: report.batchItemFailures };
}

export const handler = middy(relay)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
