/**
 * The management API (behind the token authorizer): create, list, show, rotate and revoke
 * tokens, emergency revocation, usage, audit. Thin: shared/api validates, routes and decides;
 * this file wires AWS clients and logs one line per request with its route and status, never
 * a body (responses can carry a newly issued token).
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { StageCacheFlusher } from '../shared/api/cache-flusher';
import { handleRequest } from '../shared/api/router';
import { TokenService } from '../shared/api/token-service';
import { managementConfigSchema, parseConfig } from '../shared/config';
import { METRICS_NAMESPACE } from '../shared/observability';
import { openApiRegistry, openStores } from '../shared/store';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(managementConfigSchema);
const logger = new Logger({ serviceName: 'token-management' });
const tracer = newTracer('token-management');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-management' });
const client = tracer.captureAWSv3Client(new DynamoDBClient({}));
const service = new TokenService({
  stores: {
    ...openStores({
      client,
      tables: { tokens: config.TOKENS_TABLE_NAME, audit: config.AUDIT_TABLE_NAME },
      retentionDays: config.RETENTION_DAYS,
      rotationPolicies: config.ROTATION_POLICIES,
    }),
    apis: openApiRegistry({ client, tableName: config.REGISTRY_TABLE_NAME }),
  },
  now: () => new Date(),
  prefix: config.TOKEN_PREFIX,
  ...(config.REST_API_ID === undefined
    ? {}
    : {
        cache: new StageCacheFlusher(
          tracer.captureAWSv3Client(new APIGatewayClient({})),
          config.REST_API_ID,
          config.STAGE_NAME,
        ),
      }),
});

async function serve(event: unknown) {
  const started = performance.now();
  const { response, route, error, requestId } = await handleRequest(event, service);
  if (requestId !== undefined) logger.setCorrelationId(requestId);
  metrics.addDimension('route', route);
  tracer.putAnnotation('route', route);
  tracer.putAnnotation('status', response.statusCode);
  metrics.addDimension('status', `${String(Math.floor(response.statusCode / 100))}xx`);
  metrics.addMetric('ApiRequests', MetricUnit.Count, 1);
  metrics.addMetric('ApiLatency', MetricUnit.Milliseconds, performance.now() - started);
  const line = { route, status: response.statusCode };
  if (error !== undefined) logger.error('Request failed', { ...line, error });
  else if (response.statusCode >= 400) logger.warn('Request refused', line);
  else logger.info('Request served', line);
  return response;
}

export const handler = middy(serve)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
