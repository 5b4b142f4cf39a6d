/** Helpers of the store's integration tests. */
import { TokenStoreError } from '../../../shared/store/errors';

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
