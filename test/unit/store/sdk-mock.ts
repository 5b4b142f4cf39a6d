/**
 * The store's repositories on a mocked DynamoDB document client: for the failure paths the
 * emulator cannot produce on demand (throttling, outages, transaction conflicts, corrupt items)
 * and for the exact requests a repository sends.
 */
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { openStores, type StoreOptions } from '../../../shared/store';
import { TokenStoreError } from '../../../shared/store/errors';

export const meta = { $metadata: {} };
export const admin = { actor: 'tok_admin' };

/** The mocked document client, reset before each test. */
export function useDocumentMock() {
  const dynamo = mockClient(DynamoDBDocumentClient);
  beforeEach(() => dynamo.reset());
  return dynamo;
}

/** The repositories on tables `tokens` and `audit` of a client whose calls the mock answers. */
export function mockedStores(options: Omit<StoreOptions, 'client' | 'tables'> = {}) {
  return openStores({
    client: new DynamoDBClient({ region: 'us-east-1' }),
    tables: { tokens: 'tokens', audit: 'audit' },
    ...options,
  });
}

/** A transaction cancelled with one reason code per item. */
export function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

/** The TokenStoreError a promise rejects with (anything else fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<TokenStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenStoreError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
