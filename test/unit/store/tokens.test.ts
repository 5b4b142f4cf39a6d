/** The token repository on a mocked SDK: what it makes of a failed condition, what it refuses. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { newTestToken } from '../../support/tokens';
import { admin, cancelled, mockedStores, rejection, useDocumentMock } from './sdk-mock';

const dynamo = useDocumentMock();
const { tokens } = mockedStores();

describe('the token repository', () => {
  it('maps a failed create condition to already-exists', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const { input } = newTestToken();
    expect(await rejection(tokens.create(input, admin))).toMatchObject({
      code: 'already-exists',
      retryable: false,
    });
  });

  it('refuses to register a token whose scope is outside the grammar, writing nothing', async () => {
    const { input } = newTestToken({ scopes: ['orders:read admin'] });
    const error = await rejection(tokens.create(input, admin));
    expect(error).toMatchObject({ code: 'corrupt-item', retryable: false });
    expect(error.message).toContain('"orders:read admin"');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('treats usage for a vanished token as nothing to record', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(tokens.recordUsage('a'.repeat(64), 3, new Date())).resolves.toBe(false);
  });
});
