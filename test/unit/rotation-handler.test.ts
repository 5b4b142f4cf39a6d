/**
 * The rotation Lambda's entry with Secrets Manager mocked: every log line carries the
 * rotation's version id as correlation_id (with step and secret), each step is counted by
 * outcome with a bounded `step` dimension, a rotation is counted as started once, and the new
 * token never reaches a log line.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../local/aws/lambda-context';
import { METRICS_NAMESPACE } from '../../shared/observability';
import { findTokens, generateToken, generateTokenId } from '../../shared/token/format';
import { captureHandlerOutput, type HandlerOutput } from '../support/handler-output';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-token-AbCdEf';
const CURRENT = '11111111-1111-4111-8111-111111111111';
const PENDING = '22222222-2222-4222-8222-222222222222';
const secrets = mockClient(SecretsManagerClient);

let handler: (typeof import('../../functions/rotation'))['handler'];
let output: HandlerOutput;

beforeAll(async () => {
  vi.stubEnv('TOKENS_TABLE_NAME', 'tokens');
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv(
    'TOKEN_SPECS',
    JSON.stringify([
      { secretArn: SECRET, name: 'orders', owner: 'team-a', scopes: ['orders:read'] },
    ]),
  );
  ({ handler } = await import('../../functions/rotation'));
});

beforeEach(() => {
  secrets.reset();
  secrets.on(DescribeSecretCommand).resolves({
    RotationEnabled: true,
    VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] },
  });
  // A secret as CDK creates it: a spec-only `{}` value, and a bare AWSPENDING stub.
  secrets
    .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
    .resolves({ SecretString: '{}' });
  secrets
    .on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })
    .rejects(new ResourceNotFoundException({ message: 'no value', $metadata: {} }));
  secrets.on(ListSecretVersionIdsCommand).resolves({ Versions: [] });
  secrets.on(PutSecretValueCommand).resolves({});
  output = captureHandlerOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const step = (Step: string, version = PENDING) =>
  handler({ Step, SecretId: SECRET, ClientRequestToken: version }, lambdaContext('token-rotation'));

const rotationMetrics = () =>
  output
    .metrics()
    .filter((m) => m.namespace === METRICS_NAMESPACE && m.name !== 'RotationStepDuration')
    .map((m) => `${m.name}{${Object.values(m.dimensions).join(',')}}`);

describe('rotation handler: logs and metrics', () => {
  it('counts a createSecret that stages a new token as a started rotation, and logs its version id', async () => {
    await step('createSecret');
    expect(rotationMetrics()).toEqual([
      'RotationStepSucceeded{token-rotation,createSecret}',
      'RotationStarted{token-rotation,createSecret}',
    ]);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Step done',
        correlation_id: PENDING,
        rotationVersionId: PENDING,
        step: 'createSecret',
        secretId: SECRET,
      }),
    ]);
  });

  it('never logs the token it put into AWSPENDING', async () => {
    await step('createSecret');
    const put = secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretString ?? '';
    const [token] = findTokens(put);
    expect(token).toBeDefined();
    expect(output.text()).not.toContain(token);
    expect(findTokens(output.text())).toEqual([]);
  });

  it('does not count a retried createSecret whose token is already staged as another start', async () => {
    const staged = {
      name: 'orders',
      owner: 'team-a',
      scopes: ['orders:read'],
      lifetimeDays: 90,
      token: generateToken(),
      tokenId: generateTokenId(),
      expiresAt: '2099-01-01T00:00:00.000Z',
    };
    secrets
      .on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })
      .resolves({ SecretString: JSON.stringify(staged) });
    await step('createSecret');
    expect(rotationMetrics()).toEqual(['RotationStepSucceeded{token-rotation,createSecret}']);
    expect(output.logs()[0]).toMatchObject({
      message: 'The pending token was already staged',
      result: 'already-staged',
    });
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(output.text()).not.toContain(staged.token);
  });

  it('counts a failed step by step, logs the error with its version id, and rethrows for a retry', async () => {
    secrets.on(DescribeSecretCommand).rejects(new Error('Secrets Manager is down'));
    await expect(step('setSecret')).rejects.toThrow();
    expect(rotationMetrics()).toEqual(['RotationStepFailed{token-rotation,setSecret}']);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Step failed; Secrets Manager will retry it',
        correlation_id: PENDING,
        step: 'setSecret',
      }),
    ]);
  });

  it('logs a step whose version is already current without counting another success', async () => {
    secrets
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .rejects(new ResourceNotFoundException({ message: 'no previous', $metadata: {} }));
    await step('finishSecret', CURRENT);
    expect(rotationMetrics()).toEqual(['RotationStepSucceeded{token-rotation,finishSecret}']);
    expect(output.logs()[0]).toMatchObject({
      message: 'Version is already AWSCURRENT',
      correlation_id: CURRENT,
      step: 'finishSecret',
    });
  });

  it('refuses an event that is not a rotation event, logging only the bad field names', async () => {
    await expect(
      handler({ Step: 'createSecret', SecretId: 'sk_not_an_arn' }, lambdaContext('token-rotation')),
    ).rejects.toThrow('Not a Secrets Manager rotation event');
    expect(output.logs()).toEqual([
      expect.objectContaining({ level: 'ERROR', fields: ['ClientRequestToken'] }),
    ]);
    expect(output.logs()[0]).not.toHaveProperty('correlation_id');
  });
});
