/**
 * The store's shared DynamoDB mechanics (shared/store/dynamo/), through the repositories on a
 * mocked SDK: error translation, the transaction retry, the read-decide-write loop, parsing.
 * Behaviour against a real DynamoDB engine is covered by test/integration/store/.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { newTestToken } from '../../support/tokens';
import { admin, cancelled, meta, mockedStores, rejection, useDocumentMock } from './sdk-mock';

const dynamo = useDocumentMock();
const { tokens } = mockedStores();

describe('the shared DynamoDB mechanics', () => {
  it('reports throttling as a retryable throttled error, with the SDK error as cause', async () => {
    const sdkError = new ProvisionedThroughputExceededException({
      message: 'slow down',
      $metadata: meta.$metadata,
    });
    dynamo.on(GetCommand).rejects(sdkError);

    const error = await rejection(tokens.getByHash('a'.repeat(64)));

    expect(error).toMatchObject({ code: 'throttled', retryable: true });
    expect(error.cause).toBe(sdkError);
  });

  it('reports a network failure as unavailable', async () => {
    dynamo
      .on(GetCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' }));
    expect(await rejection(tokens.getByHash('a'.repeat(64)))).toMatchObject({
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

    await expect(tokens.create(input, admin)).resolves.toMatchObject({ status: 'active' });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('gives up with a retryable contention error after repeated conflicts', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));
    const { input } = newTestToken();
    const error = await rejection(tokens.create(input, admin));
    expect(error).toMatchObject({ code: 'contention', retryable: true });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
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

    const result = await tokens.revoke(input.tokenHash, admin);

    expect(result).toMatchObject({ changed: false, record: { status: 'revoked' } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('rejects a corrupt item naming the bad fields but not their values', async () => {
    dynamo
      .on(GetCommand)
      .resolves({ ...meta, Item: { tokenHash: 'a'.repeat(64), status: 'sk_weird_value' } });
    const error = await rejection(tokens.getByHash('a'.repeat(64)));
    expect(error.code).toBe('corrupt-item');
    expect(error.message).toContain('status');
    expect(error.message).not.toContain('sk_weird_value');
  });
});
