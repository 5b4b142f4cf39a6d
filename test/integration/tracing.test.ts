/**
 * Powertools Tracer on the authorizer, as X-Ray receives it: the DynamoDB read is a subsegment,
 * the decision and the token id are annotations, and no segment document holds the token.
 * The authorizer runs in a process of its own with Lambda's tracing environment; a UDP socket
 * plays the X-Ray daemon.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { LOCAL_AWS_ENV } from '../../local/aws/clients';
import { findTokens } from '../../shared/token/format';
import { EXAMPLE_CATALOG } from '../support/catalog';
import { useDynamo } from '../support/dynamo';
import { seedCaller } from '../support/tokens';

const dynamo = useDynamo();
const ROOT = join(import.meta.dirname, '..', '..');

const segment = z.looseObject({
  name: z.string(),
  annotations: z.optional(z.record(z.string(), z.unknown())),
  aws: z.optional(z.looseObject({ operation: z.optional(z.string()) })),
  subsegments: z.optional(z.array(z.unknown())),
});
type Segment = z.infer<typeof segment>;

/** Every segment and subsegment in the daemon's packets (a header line, then JSON). */
function documents(packets: readonly string[]): Segment[] {
  const all: Segment[] = [];
  const visit = (value: unknown) => {
    const parsed = segment.safeParse(value);
    if (!parsed.success) return;
    all.push(parsed.data);
    for (const child of parsed.data.subsegments ?? []) visit(child);
  };
  for (const packet of packets) visit(JSON.parse(packet.slice(packet.indexOf('\n') + 1)));
  return all;
}

describe('tracing the authorizer', () => {
  it('records the DynamoDB read as a subsegment, annotated with the decision, never the token', async () => {
    const caller = await seedCaller(dynamo.stores().tokens, 'team-a', ['orders:read']);
    const packets: string[] = [];
    const daemon = createSocket('udp4');
    daemon.on('message', (message) => packets.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const address = daemon.address();
    try {
      const bin = join(ROOT, 'node_modules', '.bin');
      await promisify(execFile)(
        join(bin, 'tsx'),
        [join(ROOT, 'test/support/traced-invocation.ts')],
        {
          env: {
            ...process.env,
            ...LOCAL_AWS_ENV,
            PATH: `${bin}:${process.env['PATH'] ?? ''}`,
            AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
            TOKENS_TABLE_NAME: dynamo.tables().tokens,
            ROUTE_SCOPES: JSON.stringify(EXAMPLE_CATALOG),
            // What Lambda sets for a function with active tracing.
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
            LAMBDA_TASK_ROOT: ROOT,
            AWS_LAMBDA_FUNCTION_NAME: 'authorizer',
            _X_AMZN_TRACE_ID:
              'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
            AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${String(address.port)}`,
            AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
            TRACED_EVENT: JSON.stringify({
              type: 'TOKEN',
              authorizationToken: `Bearer ${caller.plaintext}`,
              methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/orders',
            }),
          },
        },
      );
      // UDP gives no delivery signal: wait briefly for the last packets.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      daemon.close();
    }

    const traced = documents(packets);
    expect(traced.some((s) => s.name === 'DynamoDB' && s.aws?.operation === 'GetItem')).toBe(true);
    const annotations: Record<string, unknown> = {};
    for (const s of traced) Object.assign(annotations, s.annotations);
    expect(annotations).toMatchObject({
      decision: 'allowed',
      tokenId: caller.tokenId,
      Service: 'token-authorizer',
    });
    expect(findTokens(packets.join('\n'))).toEqual([]);
  });
});
