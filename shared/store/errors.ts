/**
 * The token store's own error types. The DynamoDB adapter translates SDK errors into these
 * (keeping the SDK error as `cause`), so callers never branch on AWS error names.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { Refusal } from '../token/lifecycle-rules';

export type StoreErrorCode =
  | 'already-exists'
  | 'not-found'
  | 'conflict'
  /** The thing existed but its time is up (an expired bootstrap token or rotation grant). */
  | 'gone'
  | 'contention'
  | 'throttled'
  | 'unavailable'
  | 'invalid-cursor'
  | 'corrupt-item';

export class TokenStoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenStoreError';
  }

  /** Worth retrying later: the request itself was fine. */
  get retryable(): boolean {
    return this.code === 'throttled' || this.code === 'unavailable' || this.code === 'contention';
  }
}

/** A lifecycle rule's refusal as the store's error: the same code and message. */
export function refusalError(refusal: Refusal): TokenStoreError {
  return new TokenStoreError(refusal.code, refusal.message);
}

/** Raise a rule's refusal, if it gave one. */
export function throwRefusal(refusal: Refusal | undefined): void {
  if (refusal !== undefined) throw refusalError(refusal);
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Map an SDK failure that no operation-specific branch handled. */
export function translateStoreError(error: unknown, operation: string): TokenStoreError {
  if (error instanceof TokenStoreError) return error;
  const name = errorName(error) ?? 'UnknownError';
  if (THROTTLING.has(name)) {
    return new TokenStoreError('throttled', `DynamoDB throttled ${operation}`, { cause: error });
  }
  return new TokenStoreError('unavailable', `DynamoDB ${operation} failed: ${name}`, {
    cause: error,
  });
}

/** True when a transaction was cancelled because another transaction held one of its items. */
export function isTransactionConflict(error: unknown): boolean {
  return cancellationCodes(error).includes('TransactionConflict');
}

function cancellationCodes(error: unknown): (string | undefined)[] {
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

/** True for a conditional-check failure, alone or as the reason a transaction was cancelled. */
export function isConditionFailure(error: unknown, transactionItem?: number): boolean {
  if (errorName(error) === 'ConditionalCheckFailedException') return true;
  const codes = cancellationCodes(error);
  return transactionItem === undefined
    ? codes.includes('ConditionalCheckFailed')
    : codes[transactionItem] === 'ConditionalCheckFailed';
}
