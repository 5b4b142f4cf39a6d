/**
 * Secrets Manager rotation Lambda for service tokens (createSecret, setSecret, testSecret,
 * finishSecret). Thin: parse the event, run the step in shared/rotation, log and count it.
 * A thrown error makes Secrets Manager retry the step; no log line carries a token.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseConfig, rotationConfigSchema } from '../shared/config';
import { METRICS_NAMESPACE } from '../shared/observability';
import { RotationError } from '../shared/rotation/errors';
import { rotationEventSchema, TokenRotator, type StepResult } from '../shared/rotation/rotator';
import { SecretsAdapter } from '../shared/rotation/secrets';
import { openStores } from '../shared/store';
import { DAY_MS } from '../shared/time';
import { newTracer, traceInvocations } from '../shared/tracing';

const config = parseConfig(rotationConfigSchema);
const specs = new Map(config.TOKEN_SPECS.map(({ secretArn, ...spec }) => [secretArn, spec]));
const logger = new Logger({ serviceName: 'token-rotation' });
const tracer = newTracer('token-rotation');
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'token-rotation' });
const rotator = new TokenRotator({
  secrets: new SecretsAdapter(tracer.captureAWSv3Client(new SecretsManagerClient({}))),
  stores: openStores({
    client: tracer.captureAWSv3Client(new DynamoDBClient({})),
    tables: { tokens: config.TOKENS_TABLE_NAME, audit: config.AUDIT_TABLE_NAME },
    retentionDays: config.RETENTION_DAYS,
    rotationPolicies: config.ROTATION_POLICIES,
  }),
  prefix: config.TOKEN_PREFIX,
  graceMs: config.GRACE_PERIOD_DAYS * DAY_MS,
  specFor: (secretId) => specs.get(secretId),
});

const STEP_MESSAGES: Record<StepResult, string> = {
  done: 'Step done',
  'already-staged': 'The pending token was already staged',
  'already-current': 'Version is already AWSCURRENT',
};

async function rotate(event: unknown): Promise<void> {
  const parsed = rotationEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('Not a Secrets Manager rotation event', {
      fields: parsed.error.issues.map((i) => i.path.join('.')),
    });
    throw new RotationError('Not a Secrets Manager rotation event');
  }
  const { Step: step, SecretId: secretId, ClientRequestToken: version } = parsed.data;
  logger.setCorrelationId(version);
  logger.appendKeys({ step, secretId, rotationVersionId: version });
  metrics.addDimension('step', step);
  tracer.putAnnotation('step', step);
  const started = performance.now();
  try {
    const result = await rotator.run(parsed.data);
    metrics.addMetric('RotationStepSucceeded', MetricUnit.Count, 1);
    // A rotation starts when createSecret stages a new token and succeeds when finishSecret
    // moves AWSCURRENT to it; a retried step whose work was already done counts neither again.
    if (result === 'done' && step === 'createSecret') {
      metrics.addMetric('RotationStarted', MetricUnit.Count, 1);
    }
    if (result === 'done' && step === 'finishSecret') {
      metrics.addMetric('RotationSucceeded', MetricUnit.Count, 1);
    }
    logger.info(STEP_MESSAGES[result], { result });
  } catch (error) {
    metrics.addMetric('RotationStepFailed', MetricUnit.Count, 1);
    logger.error('Step failed; Secrets Manager will retry it', { error });
    throw error;
  } finally {
    metrics.addMetric('RotationStepDuration', MetricUnit.Milliseconds, performance.now() - started);
  }
}

export const handler = middy(rotate)
  .use(traceInvocations(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
