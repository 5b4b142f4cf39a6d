/**
 * The store's repositories on the current test's fresh tables (see useDynamo), opened the way
 * the functions open them: `openStores`.
 */
import { TokenStoreError } from '../../../shared/store/errors';
import { openStores, type StoreOptions, type Stores } from '../../../shared/store';
import { useDynamo, type DynamoFixture } from '../../support/dynamo';

export interface StoresFixture extends Pick<DynamoFixture, 'client' | 'tables' | 'scanAll'> {
  /** The repositories on this test's tables (valid inside a test). */
  stores(options?: Omit<StoreOptions, 'client' | 'tables'>): Stores;
}

export function useStores(): StoresFixture {
  const dynamo = useDynamo();
  return {
    client: dynamo.client,
    tables: () => dynamo.tables(),
    scanAll: (table) => dynamo.scanAll(table),
    stores: (options = {}) =>
      openStores({ client: dynamo.client, tables: dynamo.tables(), ...options }),
  };
}

/** The TokenStoreError a promise rejects with (anything else fails the test). */
export async function storeError(promise: Promise<unknown>): Promise<TokenStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenStoreError))
    throw new Error(`expected TokenStoreError, got ${String(error)}`);
  return error;
}
