/**
 * The expiry-alert and cleanup Lambda entries with DynamoDB and SNS mocked: the schedule
 * event's id is the correlation_id of every log line, the metrics each run emits (by severity
 * for alerts, bounded dimensions only), and no token hash in any log line.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../local/aws/lambda-context';
import { METRICS_NAMESPACE } from '../../shared/observability';
import { captureHandlerOutput, type HandlerOutput } from '../support/handler-output';
import { tokenRecord } from '../support/tokens';

const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const RUN_TIME = '2026-06-01T00:00:00.000Z';
const HOUR_MS = 3_600_000;
const at = (hours: number) => new Date(Date.parse(RUN_TIME) + hours * HOUR_MS).toISOString();
const scheduled = (id: string) => ({
  id,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: RUN_TIME,
  detail: {},
});
const HASH = 'b'.repeat(64);
/** A fresh invocation with 5 minutes left: enough for every page (30 s are kept in reserve). */
const context = (name: string) => lambdaContext(name, 'req-1', 300_000);

let alerts: (typeof import('../../functions/expiry-alerts'))['handler'];
let cleanup: (typeof import('../../functions/cleanup'))['handler'];
let output: HandlerOutput;

beforeAll(async () => {
  vi.stubEnv('TOKENS_TABLE_NAME', 'tokens');
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('ALERT_TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:token-alerts');
  vi.stubEnv('CLOCK_SOURCE', 'event');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  ({ handler: alerts } = await import('../../functions/expiry-alerts'));
  ({ handler: cleanup } = await import('../../functions/cleanup'));
});

beforeEach(() => {
  dynamo.reset();
  sns.reset();
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(GetCommand).resolves({}); // no schedule state recorded yet
  dynamo.on(TransactWriteCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  output = captureHandlerOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The ByExpiry index holds these tokens, the due index their keys in their shard (`due-b` for
 * HASH), and the item reads return them.
 */
function indexHolds(...records: ReturnType<typeof tokenRecord>[]) {
  dynamo
    .on(QueryCommand)
    .resolves({ Items: records, Count: records.length, ScannedCount: records.length });
  dynamo.on(QueryCommand, { IndexName: 'ByPolicyDue' }).resolves({ Items: [] });
  const keys = records.map((r) => ({ tokenHash: r.tokenHash }));
  dynamo
    .on(QueryCommand, {
      IndexName: 'ByPolicyDue',
      ExpressionAttributeValues: { ':shard': 'due-b' },
    })
    .resolves({ Items: keys, Count: keys.length, ScannedCount: keys.length });
  for (const record of records) {
    dynamo.on(GetCommand, { Key: { tokenHash: record.tokenHash } }).resolves({ Item: record });
  }
}

const metric = (name: string, dimensions: Record<string, string> = {}) =>
  output
    .metrics()
    .filter(
      (m) =>
        m.namespace === METRICS_NAMESPACE &&
        m.name === name &&
        Object.entries(dimensions).every(([k, v]) => m.dimensions[k] === v),
    )
    .map((m) => m.value);

describe('expiry-alert handler: the rotation-policy report', () => {
  it('reports a token due under the policy once, and counts it', async () => {
    indexHolds(
      tokenRecord({
        tokenHash: HASH,
        tokenId: 'tok_old000000000001',
        createdAt: at(-91 * 24),
        expiresAt: at(200 * 24),
      }),
    );
    await alerts(scheduled('run-alerts-policy'), context('token-expiry-alerts'));

    expect(metric('TokensDueForRotation')).toEqual([1]);
    expect(metric('RotationDueReported')).toEqual([1]);
    expect(metric('PolicyRotationsStarted')).toEqual([0]);
    expect(metric('PolicyItemsRead')).toEqual([1]);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(published).toEqual(['[medium] Service token ci is due for rotation']);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        message: 'Expiry alert run done',
        correlation_id: 'run-alerts-policy',
        rotationPolicy: {
          due: { age: 1, usage: 0 },
          reported: 1,
          started: 0,
          startFailed: 0,
          rescheduled: 0,
          dropped: 0,
        },
        // No policies' hash recorded: the first run derives every live token's due date.
        policyBackfill: { itemsRead: 1, updated: 1 },
      }),
    ]);
  });
});

describe('expiry-alert handler: logs and metrics', () => {
  it('counts a sent alert by severity, logs the run with its id as correlation_id', async () => {
    indexHolds(
      tokenRecord({
        tokenHash: HASH,
        tokenId: 'tok_soon00000000001',
        createdAt: at(-5),
        expiresAt: at(12),
      }),
    );
    await alerts(scheduled('run-alerts-1'), context('token-expiry-alerts'));

    expect(metric('AlertsSent', { service: 'token-expiry-alerts', severity: 'critical' })).toEqual([
      1,
    ]);
    expect(metric('AlertsSent', { severity: 'low' })).toEqual([0]);
    expect(metric('TokensWithinThreshold', { severity: 'critical' })).toEqual([1]);
    expect(metric('ExpiryIndexItemsRead')).toEqual([1]);
    expect(metric('AlertsFailed')).toEqual([0]);
    expect(metric('AlertRunIncomplete')).toEqual([0]);
    // Bounded cardinality: the only dimensions are the service and the severity.
    const dimensionNames = new Set(output.metrics().flatMap((m) => Object.keys(m.dimensions)));
    expect([...dimensionNames].sort()).toEqual(['service', 'severity']);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Expiry alert run done',
        correlation_id: 'run-alerts-1',
        runId: 'run-alerts-1',
        runTime: RUN_TIME,
      }),
    ]);
    expect(output.text()).not.toContain(HASH);
  });

  it('counts a failed publish, logs it with the run id, and fails the invocation for a retry', async () => {
    indexHolds(
      tokenRecord({
        tokenHash: HASH,
        tokenId: 'tok_soon00000000001',
        createdAt: at(-5),
        expiresAt: at(12),
      }),
    );
    sns.on(PublishCommand).rejects(new Error('SNS is down'));
    await expect(alerts(scheduled('run-alerts-2'), context('token-expiry-alerts'))).rejects.toThrow(
      '1 alert(s) failed',
    );
    expect(metric('AlertsFailed')).toEqual([1]);
    expect(metric('AlertsSent', { severity: 'critical' })).toEqual([0]);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        correlation_id: 'run-alerts-2',
        failedTokens: [{ tokenId: 'tok_soon00000000001', error: 'AlertPublishError' }],
      }),
    ]);
    expect(output.text()).not.toContain(HASH);
  });
});

describe('cleanup handler: logs and metrics', () => {
  it('counts retired tokens and logs the run with its id as correlation_id', async () => {
    indexHolds(tokenRecord({ tokenHash: HASH, tokenId: 'tok_gone00000000001', expiresAt: at(-2) }));
    await cleanup(scheduled('run-cleanup-1'), context('token-cleanup'));

    expect(metric('TokensExpired', { service: 'token-cleanup' })).toEqual([1]);
    expect(metric('GraceEnded')).toEqual([0]);
    expect(metric('CleanupFailed')).toEqual([0]);
    expect(metric('CleanupIncomplete')).toEqual([0]);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Cleanup run done',
        correlation_id: 'run-cleanup-1',
        expired: 1,
      }),
    ]);
    expect(output.text()).not.toContain(HASH);
  });

  it("does not carry one run's correlation_id into the next", async () => {
    indexHolds();
    await cleanup(scheduled('run-a'), context('token-cleanup'));
    await cleanup(scheduled('run-b'), context('token-cleanup'));
    expect(output.logs().map((l) => l['correlation_id'])).toEqual(['run-a', 'run-b']);
  });
});
