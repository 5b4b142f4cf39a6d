/**
 * The management API's Lambda entry with DynamoDB mocked: one log line per request carrying
 * API Gateway's request id as correlation_id, ApiRequests/ApiLatency by route and status
 * class, and never the token a response carries.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { lambdaContext } from '../../local/aws/lambda-context';
import { METRICS_NAMESPACE } from '../../shared/observability';
import { findTokens, hashToken } from '../../shared/token/format';
import { proxyEvent } from '../support/api';
import { captureHandlerOutput, type HandlerOutput } from '../support/handler-output';
import { tokenRecord } from '../support/tokens';

const dynamo = mockClient(DynamoDBDocumentClient);
const admin = tokenRecord({
  tokenId: 'tok_admin0000000001',
  owner: 'platform',
  scopes: ['admin'],
  expiresAt: '2099-01-01T00:00:00.000Z',
});

let handler: (typeof import('../../functions/management-api'))['handler'];
let output: HandlerOutput;

beforeAll(async () => {
  vi.stubEnv('TOKENS_TABLE_NAME', 'tokens');
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('REGISTRY_TABLE_NAME', 'apis');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  ({ handler } = await import('../../functions/management-api'));
});

beforeEach(() => {
  dynamo.reset();
  // The caller's record, as the service re-reads it before issuing.
  dynamo.on(QueryCommand).resolves({ Items: [{ tokenHash: admin.tokenHash }] });
  // The registry, as the scope check reads it: one API that knows orders:read.
  dynamo.on(QueryCommand, { TableName: 'apis' }).resolves({ Items: [{ scopes: ['orders:read'] }] });
  dynamo.on(GetCommand).resolves({ Item: admin });
  dynamo.on(TransactWriteCommand).resolves({});
  output = captureHandlerOutput();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function call(method: string, path: string, body?: unknown) {
  const event = proxyEvent(method, path, admin, { body });
  const response = z
    .object({ statusCode: z.number(), body: z.string() })
    .parse(await handler(event, lambdaContext('token-management')));
  return { event, response };
}

const apiMetrics = () =>
  output
    .metrics()
    .filter((m) => m.namespace === METRICS_NAMESPACE)
    .map((m) => ({ name: m.name, dimensions: m.dimensions }));

describe('management API handler: logs and metrics', () => {
  it('logs a served request with route, status and correlation_id, and counts it as 2xx', async () => {
    const { event, response } = await call('POST', '/tokens', {
      name: 'orders-ci',
      owner: 'team-a',
      scopes: ['orders:read'],
    });
    expect(response.statusCode).toBe(201);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Request served',
        route: 'POST /tokens',
        status: 201,
        correlation_id: event.requestContext.requestId,
        service: 'token-management',
      }),
    ]);
    const dimensions = { service: 'token-management', route: 'POST /tokens', status: '2xx' };
    expect(apiMetrics()).toEqual([
      { name: 'ApiRequests', dimensions },
      { name: 'ApiLatency', dimensions },
    ]);
  });

  it('never logs the issued token or its hash', async () => {
    const { response } = await call('POST', '/tokens', {
      name: 'orders-ci',
      owner: 'team-a',
      scopes: ['orders:read'],
    });
    const token = z.object({ token: z.string() }).parse(JSON.parse(response.body)).token;
    expect(findTokens(output.text())).toEqual([]);
    expect(output.text()).not.toContain(token);
    expect(output.text()).not.toContain(hashToken(token));
  });

  it('logs a refused request as a warning with its correlation_id and counts it as 4xx', async () => {
    const { event, response } = await call('POST', '/tokens', { name: 'x', scopes: [] });
    expect(response.statusCode).toBe(400);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'Request refused',
        route: 'POST /tokens',
        status: 400,
        correlation_id: event.requestContext.requestId,
      }),
    ]);
    expect(apiMetrics().map((m) => m.dimensions.status)).toEqual(['4xx', '4xx']);
  });

  it('logs a store failure as an error with its correlation_id and counts it as 5xx', async () => {
    dynamo
      .on(TransactWriteCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const { event, response } = await call('POST', '/tokens', {
      name: 'orders-ci',
      scopes: ['orders:read'],
    });
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('slow down');
    const [line] = output.logs();
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'Request failed',
      status: 503,
      correlation_id: event.requestContext.requestId,
    });
    expect(JSON.stringify(line)).toContain('ProvisionedThroughputExceeded');
    expect(findTokens(output.text())).toEqual([]);
    expect(apiMetrics().map((m) => m.dimensions.status)).toEqual(['5xx', '5xx']);
  });

  it("does not carry one request's correlation_id into the next", async () => {
    await call('GET', '/me');
    const second = await call('GET', '/me');
    expect(output.logs().map((l) => l['correlation_id'])).toEqual([
      expect.any(String),
      second.event.requestContext.requestId,
    ]);
    expect(new Set(output.logs().map((l) => l['correlation_id'])).size).toBe(2);
  });
});
