/**
 * The bundled schedule Lambdas (the esbuild output `cdk synth` produces), invoked with
 * EventBridge "Scheduled Event"s whose `time` drives the clock (CLOCK_SOURCE=event): tokens on
 * DynamoDB Local, alerts on moto read through an SQS subscription.
 */
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { loadHandler, type BundledHandler } from '../../local/aws/bundles';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import { findTokens } from '../../shared/token/format';
import { useAlertTopic } from '../support/alert-topic';
import { captureOutput } from '../support/capture-output';
import { useDynamo } from '../support/dynamo';
import { lambdaContext } from '../../local/aws/lambda-context';
import { clockStart, DAY_MS, newTestToken } from '../support/tokens';

const dynamo = useDynamo();
const topic = useAlertTopic();

function scheduledEvent(id: string, time: Date) {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_AWS_ENV.AWS_REGION,
    resources: ['arn:aws:events:us-east-1:123456789012:rule/schedule'],
    detail: {},
  };
}

function load(description: string, env: Record<string, string> = {}): BundledHandler {
  const bundle = inject('bundles')[description];
  if (bundle === undefined) throw new Error(`the synthesized stack has no bundle "${description}"`);
  return loadHandler(bundle, {
    ...LOCAL_AWS_ENV,
    TOKENS_TABLE_NAME: dynamo.tables().tokens,
    AUDIT_TABLE_NAME: dynamo.tables().audit,
    ALERT_TOPIC_ARN: topic.topicArn(),
    CLOCK_SOURCE: 'event',
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_SNS: inject('motoEndpoint'),
    ...env,
  });
}

const emfSchema = z.object({
  _aws: z.object({
    CloudWatchMetrics: z.array(
      z.object({
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.object({ Name: z.string() })),
      }),
    ),
  }),
});

/** Every metric value in the EMF lines of a log, with the dimensions it was published under. */
function emfMetrics(lines: readonly string[]) {
  return lines.flatMap((chunk) =>
    chunk.split('\n').flatMap((line) => {
      if (!line.includes('"_aws"')) return [];
      const record = z.record(z.string(), z.unknown()).parse(JSON.parse(line));
      return emfSchema.parse(record)._aws.CloudWatchMetrics.flatMap((set) => {
        const dimensions = Object.fromEntries(
          set.Dimensions.flat().map((name) => [name, String(record[name])]),
        );
        return set.Metrics.map((m) => ({ name: m.Name, dimensions, value: record[m.Name] }));
      });
    }),
  );
}

const ALERTS = 'Sends expiry alerts for service tokens';
const CLEANUP = 'Retires expired service tokens';

describe('bundled schedule Lambdas', () => {
  it('alert on a token nearing expiry, then retire it once it has expired', async () => {
    const start = clockStart();
    const stores = dynamo.stores({ now: () => start });
    const { plaintext, input } = newTestToken(
      { expiresAt: new Date(start.getTime() + 3 * DAY_MS) },
      start,
    );
    await stores.tokens.create(input, { actor: 'tok_admin' });
    const output = captureOutput();
    let alertSummary: unknown;
    let cleanupSummary: unknown;
    try {
      const alerts = load(ALERTS);
      alertSummary = await alerts(
        scheduledEvent('run-alerts-1', new Date(start.getTime() + 3_600_000)),
        lambdaContext('alerts', 'req-a', 300_000),
      );
      const cleanup = load(CLEANUP);
      cleanupSummary = await cleanup(
        scheduledEvent('run-cleanup-1', new Date(start.getTime() + 4 * DAY_MS)),
        lambdaContext('cleanup', 'req-c', 900_000),
      );
    } finally {
      output.restore();
    }

    expect(alertSummary).toMatchObject({ sent: { high: 1 }, failures: 0, complete: true });
    expect(cleanupSummary).toMatchObject({ expired: 1, failures: 0, complete: true });
    const [alert, ...others] = await topic.inbox().drain();
    expect(others).toEqual([]);
    expect(alert?.attributes).toMatchObject({ severity: 'high', owner: input.owner });
    expect((await stores.tokens.getByHash(input.tokenHash, { consistent: true }))?.status).toBe(
      'expired',
    );
    const actions = (await stores.audit.listByTarget(input.tokenId)).items.map((e) => [
      e.action,
      e.requestId,
    ]);
    expect(actions).toEqual([
      ['token.expired', 'run-cleanup-1'],
      ['token.expiry-alerted', 'run-alerts-1'],
      ['token.created', undefined],
    ]);
    const logs = output.text();
    expect(logs).toContain('"runId":"run-alerts-1"');
    expect(logs).toContain('"runId":"run-cleanup-1"');
    const metrics = emfMetrics(output.lines);
    const high = (name: string) =>
      metrics.find((m) => m.name === name && m.dimensions['severity'] === 'high');
    expect(high('AlertsSent')).toMatchObject({ value: 1 });
    expect(high('TokensWithinThreshold')).toMatchObject({ value: 1 });
    expect(metrics.find((m) => m.name === 'TokensExpired')).toMatchObject({ value: 1 });
    expect(logs).not.toContain(plaintext);
    expect(logs).not.toContain(input.tokenHash);
    expect(findTokens(logs)).toEqual([]);
  });

  it('fail the invocation when an alert cannot be published, so Lambda retries it', async () => {
    const start = clockStart();
    const stores = dynamo.stores({ now: () => start });
    const { input } = newTestToken({ expiresAt: new Date(start.getTime() + DAY_MS / 2) }, start);
    await stores.tokens.create(input, { actor: 'tok_admin' });
    const output = captureOutput();
    try {
      const broken = load(ALERTS, { ALERT_TOPIC_ARN: `${topic.topicArn()}-deleted` });
      await expect(
        broken(scheduledEvent('run-1', start), lambdaContext('alerts', 'req-1', 300_000)),
      ).rejects.toThrow('1 alert(s) failed');
      // The retry, once the topic is back, sends it.
      const fixed = load(ALERTS);
      await expect(
        fixed(scheduledEvent('run-1', start), lambdaContext('alerts', 'req-2', 300_000)),
      ).resolves.toMatchObject({ sent: { critical: 1 } });
    } finally {
      output.restore();
    }
    expect(output.text()).toContain('"AlertsFailed"');
    expect(await topic.inbox().drain()).toHaveLength(1);
  });

  it('refuse to run on an event without a time when the clock comes from the event', async () => {
    const alerts = load(ALERTS);
    await expect(alerts({}, lambdaContext('alerts'))).rejects.toThrow(
      'CLOCK_SOURCE=event needs an event with "id" and ISO "time"',
    );
  });
});
