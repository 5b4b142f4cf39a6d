/**
 * The stage flusher's failure paths on mocked API Gateway clients: which call each kind of API
 * gets, a throttled or failing stage handed back for SQS to retry without the stages that
 * succeeded, a deleted stage skipped, a registry that cannot be listed.
 */
import {
  APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
  NotFoundException as RestNotFound,
  TooManyRequestsException as RestTooManyRequests,
} from '@aws-sdk/client-api-gateway';
import {
  ApiGatewayV2Client,
  NotFoundException as HttpNotFound,
  ResetAuthorizersCacheCommand,
  TooManyRequestsException as HttpTooManyRequests,
} from '@aws-sdk/client-apigatewayv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { flushProtectedStages, type FlushDeps } from '../../shared/flush/flush-stages';
import { FlushLedger } from '../../shared/flush/ledger';
import { ApiGatewayStageCache } from '../../shared/flush/stage-cache';
import { FlushEventError } from '../../shared/flush/triggers';
import type { ProtectedStage } from '../../shared/flush/stages';
import { ACCOUNT, FakeClock, PLATFORM_STAGE, sqsBatch, stage } from '../support/flush';

const rest = mockClient(APIGatewayClient);
const http = mockClient(ApiGatewayV2Client);
const meta = { $metadata: {} };
const CONSUMER = stage('consumer1');

beforeEach(() => {
  rest.reset();
  http.reset();
  rest.on(FlushStageAuthorizersCacheCommand).resolves(meta);
  http.on(ResetAuthorizersCacheCommand).resolves(meta);
});

function deps(registered: () => Promise<readonly ProtectedStage[]>): FlushDeps {
  const clock = new FakeClock();
  const clients = {
    rest: new APIGatewayClient({ region: 'us-east-1' }),
    http: new ApiGatewayV2Client({ region: 'us-east-1' }),
  };
  return {
    platformStage: PLATFORM_STAGE,
    listStages: registered,
    cache: new ApiGatewayStageCache(() => clients),
    ledger: new FlushLedger({ minIntervalMs: 0 }),
    home: { account: ACCOUNT, region: 'us-east-1' },
    now: clock.now,
    sleep: clock.sleep,
  };
}

const withConsumer = () => deps(() => Promise.resolve([CONSUMER]));

describe('the stage flusher against API Gateway', () => {
  it('flushes a REST stage with FlushStageAuthorizersCache and an HTTP API stage with ResetAuthorizersCache', async () => {
    const report = await flushProtectedStages(sqsBatch(['e-1', 'e-2']), withConsumer());
    expect(
      rest.commandCalls(FlushStageAuthorizersCacheCommand).map((c) => c.args[0].input),
    ).toEqual([{ restApiId: 'platform1', stageName: 'v1' }]);
    expect(http.commandCalls(ResetAuthorizersCacheCommand).map((c) => c.args[0].input)).toEqual([
      { ApiId: 'consumer1', StageName: 'prod' },
    ]);
    expect(report.batchItemFailures).toEqual([]);
  });

  it('hands every message back when a stage is throttled, and flushes only that stage on the retry', async () => {
    http
      .on(ResetAuthorizersCacheCommand)
      .rejectsOnce(new HttpTooManyRequests({ message: 'Too Many Requests', ...meta }));
    const flusher = withConsumer();
    const batch = sqsBatch(['e-1', 'e-2']);
    const first = await flushProtectedStages(batch, flusher);
    expect(first.flushes.map((f) => f.outcome.kind)).toEqual(['flushed', 'throttled']);
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-0-e-1', 'm-1-e-2']);

    // SQS delivers the same messages again.
    const retry = await flushProtectedStages(batch, flusher);
    expect(retry.flushes.map((f) => f.stage)).toEqual([CONSUMER]);
    expect(retry.batchItemFailures).toEqual([]);
    expect(rest.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(http.commandCalls(ResetAuthorizersCacheCommand)).toHaveLength(2);
  });

  it('hands back the messages of a stage that keeps failing, so SQS ends them in the dead-letter queue', async () => {
    http.on(ResetAuthorizersCacheCommand).rejects(new Error('AccessDenied: not authorized'));
    const flusher = withConsumer();
    for (let attempt = 0; attempt < 3; attempt++) {
      const report = await flushProtectedStages(sqsBatch(['e-1']), flusher);
      expect(report.batchItemFailures).toHaveLength(1);
      expect(report.flushes.at(-1)).toMatchObject({
        stage: CONSUMER,
        outcome: { kind: 'failed', error: 'Error: AccessDenied: not authorized' },
      });
    }
    expect(rest.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
  });

  it('skips a stage that no longer exists, REST or HTTP, without handing anything back', async () => {
    rest
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(new RestNotFound({ message: 'no', ...meta }));
    http.on(ResetAuthorizersCacheCommand).rejects(new HttpNotFound({ message: 'no', ...meta }));
    const flusher = withConsumer();
    const report = await flushProtectedStages(sqsBatch(['e-1']), flusher);
    expect(report.flushes.map((f) => f.outcome.kind)).toEqual(['gone', 'gone']);
    expect(report.batchItemFailures).toEqual([]);
    await flushProtectedStages(sqsBatch(['e-1'], 'again'), flusher);
    expect(http.commandCalls(ResetAuthorizersCacheCommand)).toHaveLength(1);
  });

  it('translates a throttled REST flush too', async () => {
    rest
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(new RestTooManyRequests({ message: 'slow down', ...meta }));
    const report = await flushProtectedStages(
      sqsBatch(['e-1']),
      deps(() => Promise.resolve([])),
    );
    expect(report.flushes[0]?.outcome).toEqual({
      kind: 'throttled',
      error: 'TooManyRequestsException: slow down',
    });
    expect(report.batchItemFailures).toHaveLength(1);
  });

  it('flushes the platform stage and hands everything back when the registry cannot be listed', async () => {
    const report = await flushProtectedStages(
      sqsBatch(['e-1']),
      deps(() => Promise.reject(new Error('registry unavailable'))),
    );
    expect(rest.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(report.listingError).toBe('Error: registry unavailable');
    expect(report.batchItemFailures).toHaveLength(1);
  });

  it('flushes for a message whose body is not a lifecycle event, keyed by its message id', async () => {
    const batch = { Records: [{ messageId: 'odd-1', body: 'not json' }] };
    const report = await flushProtectedStages(
      batch,
      deps(() => Promise.resolve([])),
    );
    expect(report.triggers).toEqual([{ id: 'message:odd-1', messageId: 'odd-1', type: undefined }]);
    expect(rest.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
  });

  it('refuses an event that is not an SQS batch', async () => {
    await expect(flushProtectedStages({ detail: {} }, withConsumer())).rejects.toThrow(
      FlushEventError,
    );
  });
});
