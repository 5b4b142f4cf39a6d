/**
 * The Lambda entry with the SDK mocked: what API Gateway gets back when DynamoDB fails, which
 * metrics are emitted, and that log lines never carry the token.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { METRICS_NAMESPACE } from '../../shared/observability';
import { EXAMPLE_CATALOG } from '../support/catalog';
import fc from 'fast-check';
import { findTokens, generateToken, hashToken } from '../../shared/token/format';
import { lambdaContext } from '../../local/aws/lambda-context';
import { tokenRecord } from '../support/tokens';

const dynamo = mockClient(DynamoDBDocumentClient);
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1';
const token = generateToken();
const event = (authorizationToken: string) => ({
  type: 'TOKEN',
  authorizationToken,
  methodArn: `${STAGE}/GET/orders`,
});
const context = lambdaContext('authorizer');

let handler: (typeof import('../../functions/authorizer'))['handler'];
let output: string[] = [];

beforeAll(async () => {
  vi.stubEnv('TOKENS_TABLE_NAME', 'tokens');
  vi.stubEnv('ROUTE_SCOPES', JSON.stringify(EXAMPLE_CATALOG));
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  ({ handler } = await import('../../functions/authorizer'));
});

beforeEach(() => {
  dynamo.reset();
  output = [];
  // Logger writes ERROR/WARN to stderr, everything else (and EMF metrics) to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The JSON log lines (not EMF) the handler wrote. */
function logLines(): Record<string, unknown>[] {
  return output
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{') && !line.includes('"_aws"'))
    .map((line) => z.record(z.string(), z.unknown()).parse(JSON.parse(line)));
}

/** EMF blobs the Metrics middleware printed: metric names with their `decision` dimension. */
function emittedDecisions(): string[] {
  return output
    .filter((line) => line.includes('"_aws"'))
    .map((line): unknown => JSON.parse(line))
    .flatMap((emf) => {
      const decision: unknown =
        typeof emf === 'object' && emf !== null ? Reflect.get(emf, 'decision') : undefined;
      return typeof decision === 'string' ? [decision] : [];
    });
}

describe('authorizer handler', () => {
  it('fails closed when DynamoDB throttles: an error (503 at the gateway), never a policy', async () => {
    dynamo
      .on(GetCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(handler(event(`Bearer ${token}`), context)).rejects.toThrow(
      'Authorization unavailable',
    );
    expect(emittedDecisions()).toEqual(['store-error']);
    expect(output.join('')).toContain('Token store unavailable; failing closed');
  });

  it('answers 401 for a malformed token without reading the table', async () => {
    await expect(handler(event('Bearer sk_nope'), context)).rejects.toThrow('Unauthorized');
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
    expect(emittedDecisions()).toEqual(['malformed']);
  });

  it('allows an active token and records its use without waiting for the write', async () => {
    dynamo.on(GetCommand).resolves({
      Item: tokenRecord({
        tokenHash: hashToken(token),
        tokenId: 'tok_1',
        expiresAt: '2099-01-01T00:00:00.000Z',
      }),
    });
    dynamo.on(UpdateCommand).rejects(new Error('usage table hiccup'));
    const result = await handler(event(`Bearer ${token}`), context);
    expect(result).toMatchObject({ principalId: 'tok_1', context: { tokenId: 'tok_1' } });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      ConsistentRead: true,
    });
    await vi.waitFor(() => {
      expect(output.join('')).toContain('Usage write failed');
    });
    expect(emittedDecisions()).toEqual(['allowed']);
  });

  it("logs a REQUEST event's API request id as correlation_id, and not into the next decision", async () => {
    dynamo.on(GetCommand).resolves({});
    await handler(
      {
        type: 'REQUEST',
        methodArn: `${STAGE}/GET/orders`,
        headers: { Authorization: `Bearer ${token}` },
        requestContext: { requestId: 'api-request-1' },
      },
      context,
    );
    await handler(event(`Bearer ${token}`), lambdaContext('authorizer', 'lambda-request-2'));
    const lines = logLines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      message: 'Denied',
      reason: 'unknown',
      correlation_id: 'api-request-1',
    });
    // TOKEN events carry no API request id; the access log links this invocation's id.
    expect(lines[1]).not.toHaveProperty('correlation_id');
    expect(lines[1]).toMatchObject({ function_request_id: 'lambda-request-2' });
  });

  it('emits Decisions and DecisionLatency with only the service and decision dimensions', async () => {
    await expect(handler(event('Bearer sk_nope'), context)).rejects.toThrow('Unauthorized');
    const blobs = output
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) =>
        z
          .looseObject({
            _aws: z.object({
              CloudWatchMetrics: z.array(
                z.object({
                  Namespace: z.string(),
                  Dimensions: z.array(z.array(z.string())),
                  Metrics: z.array(z.object({ Name: z.string() })),
                }),
              ),
            }),
          })
          .parse(JSON.parse(line)),
      );
    expect(blobs.flatMap((b) => b._aws.CloudWatchMetrics)).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service', 'decision']],
        Metrics: [{ Name: 'Decisions' }, { Name: 'DecisionLatency' }],
      },
    ]);
  });

  it('never allows an arbitrary event without the active token, and fails only as 401 or 503', async () => {
    const active = tokenRecord({
      tokenHash: hashToken(token),
      tokenId: 'tok_1',
      scopes: ['orders:read'],
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    dynamo
      .on(GetCommand)
      .callsFake((input: { Key?: Record<string, unknown> }) =>
        input.Key?.['tokenHash'] === active.tokenHash ? { Item: active } : {},
      );
    const header = fc.oneof(
      fc.string(),
      fc.constant(`Bearer ${token}`),
      fc
        .nat({ max: token.length - 1 })
        .map((i) => `Bearer ${token.slice(0, i)}x${token.slice(i + 1)}`),
      fc.constant(`Bearer ${generateToken()}`),
    );
    const arn = fc.oneof(
      fc.string(),
      fc.constant(`${STAGE}/GET/orders`),
      fc.constant(`${STAGE}/DELETE/orders/1`),
    );
    const anyEvent = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom('TOKEN', 'REQUEST'),
        authorizationToken: header,
        methodArn: arn,
      }),
      fc.record({
        type: fc.constant('REQUEST'),
        methodArn: arn,
        headers: fc.dictionary(fc.constantFrom('Authorization', 'authorization', 'x'), header),
      }),
      fc.record({
        version: fc.constant('2.0'),
        type: fc.constant('REQUEST'),
        routeKey: fc.constantFrom('GET /orders', 'POST /orders', 'GET /nope'),
        headers: fc.dictionary(fc.constantFrom('authorization', 'x'), header),
      }),
    );
    const allows = (result: unknown) => {
      const text = JSON.stringify(result);
      return text.includes('"Effect":"Allow"') || text.includes('"isAuthorized":true');
    };
    let allowed = 0;
    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        try {
          const result = await handler(event, context);
          if (allows(result)) {
            allowed++;
            // Only the active token, and only for a route its scopes grant.
            expect(JSON.stringify(event)).toContain(token);
            expect(JSON.stringify(result)).not.toContain('DELETE');
          }
        } catch (error) {
          expect(error instanceof Error ? error.message : error).toBe('Unauthorized');
        }
      }),
      { numRuns: 400 },
    );
    // The property saw the allow path too, not only refusals.
    expect(allowed).toBeGreaterThan(10);
  });

  it('never writes the token into a log line', async () => {
    dynamo.on(GetCommand).resolves({});
    await handler(event(`Bearer ${token}`), context);
    // A different last character breaks the checksum (one that is already "x" would not).
    const corrupted = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
    await expect(handler(event(`Bearer ${corrupted}`), context)).rejects.toThrow();
    expect(output.length).toBeGreaterThan(0);
    expect(findTokens(output.join('\n'))).toEqual([]);
    expect(output.join('\n')).not.toContain(token.slice(3, 30));
  });
});
