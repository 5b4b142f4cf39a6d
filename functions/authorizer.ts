/**
 * Lambda authorizer for API Gateway (REST TOKEN/REQUEST, HTTP API 2.0). Thin: parse the event,
 * decide with shared/authz, shape the result. Fails closed: if the token table cannot be read,
 * nothing is allowed (API Gateway answers with its AUTHORIZER_FAILURE response, not cached).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseAuthorizerEvent, shapeResponse } from '../shared/authz/events';
import { RecordCache } from '../shared/authz/record-cache';
import { decisionReason, TokenAuthorizer } from '../shared/authz/token-authorizer';
import { authorizerConfigSchema, parseConfig, type AuthorizerConfig } from '../shared/config';
import { METRICS_NAMESPACE, STORE_ERROR_DECISION } from '../shared/observability';
import { openTokenReader } from '../shared/store';
import { UsageTracker } from '../shared/usage';
import { newTracer, traceInvocations } from '../shared/tracing';

/** Thrown with exactly this message, API Gateway answers 401 Unauthorized. */
const UNAUTHORIZED = 'Unauthorized';

/**
 * One authorizer instance for `config`: its own logger, metrics, token reader, record cache
 * and usage tracker, as one Lambda function's cold start builds them. The deployed function is
 * `handler` below; the local stack builds one per API it serves (each with that API's
 * ROUTE_SCOPES), as each protected API has an authorizer function of its own.
 */
export function authorizerHandler(config: AuthorizerConfig) {
  const logger = new Logger({ serviceName: 'token-authorizer' });
  const tracer = newTracer('token-authorizer');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-authorizer' });
  // Two attempts, not the SDK's default of four: under throttling a fast 503 with Retry-After
  // beats holding every request for seconds.
  const tokens = openTokenReader({
    client: tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 2 })),
    tokensTable: config.TOKENS_TABLE_NAME,
  });

  const authorizer = new TokenAuthorizer({
    // Strongly consistent: a token works the moment it is created and stops the moment it is
    // revoked (before any API Gateway caching); it costs one read unit instead of a half.
    lookup: (tokenHash) => tokens.getByHash(tokenHash, { consistent: true }),
    prefix: config.TOKEN_PREFIX,
    cache: new RecordCache(config.LOCAL_CACHE_TTL_SECONDS * 1000),
    usage: {
      tracker: new UsageTracker(config.USAGE_INTERVAL_SECONDS * 1000),
      write: (flush, seen) => tokens.recordUsage(flush.tokenHash, flush.count, flush.at, seen),
      onError: (error) => {
        logger.warn('Usage write failed; the decision was not affected', { error });
        metrics.addMetric('UsageWriteFailed', MetricUnit.Count, 1);
      },
    },
  });

  async function authorize(event: unknown) {
    const request = parseAuthorizerEvent(event);
    if (request === undefined) {
      logger.error('Unsupported authorizer event; check the authorizer type and identity source');
      throw new Error(UNAUTHORIZED);
    }
    // REQUEST events carry API Gateway's request id. TOKEN events do not: the stage's access
    // log records this invocation's Lambda request id as authorizerRequestId instead.
    if (request.requestId !== undefined) logger.setCorrelationId(request.requestId);
    const started = performance.now();
    let decision;
    try {
      decision = await authorizer.decide(request.authorization);
    } catch (error) {
      metrics.addDimension('decision', STORE_ERROR_DECISION);
      metrics.addMetric('Decisions', MetricUnit.Count, 1);
      logger.error('Token store unavailable; failing closed', { error });
      throw new Error('Authorization unavailable', { cause: error });
    }
    const reason = decisionReason(decision);
    metrics.addDimension('decision', reason);
    metrics.addMetric('Decisions', MetricUnit.Count, 1);
    metrics.addMetric('DecisionLatency', MetricUnit.Milliseconds, performance.now() - started);
    const tokenId = decision.outcome === 'unauthorized' ? undefined : decision.record?.tokenId;
    tracer.putAnnotation('decision', reason);
    if (tokenId !== undefined) tracer.putAnnotation('tokenId', tokenId);
    if (decision.outcome === 'allow')
      logger.debug('Allowed', { tokenId, inGrace: decision.inGrace });
    else logger.info('Denied', { reason, tokenId });

    const response = shapeResponse(decision, request, config.ROUTE_SCOPES);
    if (response.kind === 'unauthorized') throw new Error(UNAUTHORIZED);
    return response.result;
  }

  return middy(authorize)
    .use(traceInvocations(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = authorizerHandler(parseConfig(authorizerConfigSchema));
