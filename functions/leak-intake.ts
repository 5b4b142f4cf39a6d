/**
 * The leak intake (`POST /leaks/github`, `POST /leaks`; no authorizer: every request is
 * verified in shared/leaks/). Thin: wires the clients, logs one line per request with the
 * outcome per candidate (hints and token ids only, never the body).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import middy from '@middy/core';
import { SnsAlertPublisher } from '../shared/alerts/publisher';
import { parseConfig } from '../shared/config';
import { leakIntakeConfigSchema, MIN_WEBHOOK_SECRET_LENGTH } from '../shared/leaks/config';
import { GithubKeyCache, httpKeysDocument } from '../shared/leaks/github-keys';
import { handleLeakRequest } from '../shared/leaks/http';
import { METRICS_NAMESPACE } from '../shared/observability';
import { openLeakReports, openStores } from '../shared/store';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(leakIntakeConfigSchema);
const logger = new Logger({ serviceName: 'token-leaks' });
const tracer = newTracer('token-leaks');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-leaks' });
const client = tracer.captureAWSv3Client(new DynamoDBClient({}));
const storeOptions = {
  client,
  tables: { tokens: config.TOKENS_TABLE_NAME, audit: config.AUDIT_TABLE_NAME },
  retentionDays: config.RETENTION_DAYS,
};
const stores = openStores(storeOptions);
const githubKeys = new GithubKeyCache({ fetchDocument: httpKeysDocument(config.GITHUB_KEYS_URL) });

/** The HMAC key, cached for 5 minutes (a rotated secret is picked up within that). */
async function webhookSecret(): Promise<string> {
  const value = await getSecret(config.WEBHOOK_SECRET_ID, {
    maxAge: 300,
    sdkOptions: { VersionStage: 'AWSCURRENT' },
  });
  if (typeof value !== 'string' || value.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new Error(
      `The webhook secret must be a string of ${MIN_WEBHOOK_SECRET_LENGTH}+ characters`,
    );
  }
  return value;
}

const deps = {
  githubKeys,
  webhookSecret,
  candidates: {
    prefix: config.TOKEN_PREFIX,
    policy: config.LEAK_POLICY,
    leaks: openLeakReports(storeOptions),
    revoke: stores.tokens.revoke.bind(stores.tokens),
    alerts: new SnsAlertPublisher(
      tracer.captureAWSv3Client(new SNSClient({})),
      config.ALERT_TOPIC_ARN,
    ),
    now: () => new Date(),
    onFailure: (index: number, error: unknown) => {
      logger.error('Leak candidate failed', { index, error });
    },
  },
};

async function serve(event: unknown) {
  const outcome = await handleLeakRequest(event, deps);
  const { response, scanner, refusal, results, error } = outcome;
  metrics.addDimension('status', `${String(Math.floor(response.statusCode / 100))}xx`);
  metrics.addMetric('LeakRequests', MetricUnit.Count, 1);
  tracer.putAnnotation('scanner', scanner ?? 'unknown');
  tracer.putAnnotation('status', response.statusCode);
  for (const result of results ?? []) {
    metrics.addMetric(`Leak_${result.outcome}`, MetricUnit.Count, 1);
  }
  const line = { scanner, status: response.statusCode, refusal, results };
  if (error !== undefined) logger.error('Leak report not handled', { ...line, error });
  else if (response.statusCode >= 400) logger.warn('Leak report refused', line);
  else logger.info('Leak report handled', line);
  return response;
}

export const handler = middy(serve)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
