/**
 * Failure paths of the DynamoDB adapter that the emulator cannot produce on demand: throttling,
 * outages, transaction conflicts, corrupt items. The SDK is mocked; behaviour against a real
 * DynamoDB engine is covered by test/integration/token-store.test.ts.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TokenStoreError } from '../../shared/store/errors';
import { TokenStore } from '../../shared/store/token-store';
import { newTestToken } from '../support/tokens';

const dynamo = mockClient(DynamoDBDocumentClient);
const store = new TokenStore({
  client: new DynamoDBClient({ region: 'us-east-1' }),
  tokensTable: 'tokens',
  auditTable: 'audit',
});
const admin = { actor: 'tok_admin' };
const meta = { $metadata: {} };

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

async function rejection(promise: Promise<unknown>): Promise<TokenStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenStoreError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => dynamo.reset());

describe('TokenStore error translation', () => {
  it('reports throttling as a retryable throttled error, with the SDK error as cause', async () => {
    const sdkError = new ProvisionedThroughputExceededException({
      message: 'slow down',
      $metadata: meta.$metadata,
    });
    dynamo.on(GetCommand).rejects(sdkError);

    const error = await rejection(store.getByHash('a'.repeat(64)));

    expect(error).toMatchObject({ code: 'throttled', retryable: true });
    expect(error.cause).toBe(sdkError);
  });

  it('reports a network failure as unavailable', async () => {
    dynamo
      .on(GetCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' }));
    expect(await rejection(store.getByHash('a'.repeat(64)))).toMatchObject({
      code: 'unavailable',
      message: 'DynamoDB getByHash failed: TimeoutError',
    });
  });

  it('retries a create cancelled by a transaction conflict, then succeeds', async () => {
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('TransactionConflict', 'None'))
      .resolves(meta);
    const { input } = newTestToken();

    await expect(store.create(input, admin)).resolves.toMatchObject({ status: 'active' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('gives up with a retryable contention error after repeated conflicts', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));
    const { input } = newTestToken();
    const error = await rejection(store.create(input, admin));
    expect(error).toMatchObject({ code: 'contention', retryable: true });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('maps a failed create condition to already-exists', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const { input } = newTestToken();
    expect(await rejection(store.create(input, admin))).toMatchObject({
      code: 'already-exists',
      retryable: false,
    });
  });

  it('re-reads and decides again when a revoke loses a race', async () => {
    const { input } = newTestToken();
    const active = {
      ...input,
      scopes: [...input.scopes],
      status: 'active',
      createdAt: input.createdAt.toISOString(),
      expiresAt: input.expiresAt.toISOString(),
    };
    dynamo
      .on(GetCommand)
      .resolvesOnce({ ...meta, Item: active })
      .resolves({ ...meta, Item: { ...active, status: 'revoked' } });
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    const result = await store.revoke(input.tokenHash, admin);

    expect(result).toMatchObject({ changed: false, record: { status: 'revoked' } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('rejects a corrupt item naming the bad fields but not their values', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ ...meta, Item: { tokenHash: 'a'.repeat(64), status: 'sk_weird_value' } });
    const error = await rejection(store.getByHash('a'.repeat(64)));
    expect(error.code).toBe('corrupt-item');
    expect(error.message).toContain('status');
    expect(error.message).not.toContain('sk_weird_value');
  });

  it('refuses to register a token whose scope is outside the grammar, writing nothing', async () => {
    const { input } = newTestToken({ scopes: ['orders:read admin'] });
    const error = await rejection(store.create(input, admin));
    expect(error).toMatchObject({ code: 'corrupt-item', retryable: false });
    expect(error.message).toContain('"orders:read admin"');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('treats usage for a vanished token as nothing to record', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(store.recordUsage('a'.repeat(64), 3, new Date())).resolves.toBe(false);
  });
});
