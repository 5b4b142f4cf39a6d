/**
 * The one error map (shared/api/errors.ts): what the API answers and what the CLI exits with,
 * for every error a use case can raise. The router, the exchange route and the CLI all read it.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, BadRequest, failureOf } from '../../shared/api/errors';
import { TokenStoreError, type StoreErrorCode } from '../../shared/store/errors';

describe('failureOf', () => {
  it.each<[StoreErrorCode, number, 1 | 2]>([
    ['not-found', 404, 2],
    ['conflict', 409, 1],
    ['already-exists', 409, 1],
    ['gone', 410, 1],
    ['invalid-cursor', 400, 1],
    ['throttled', 503, 1],
    ['unavailable', 503, 1],
    ['contention', 503, 1],
    ['corrupt-item', 500, 1],
  ])('a store %s is HTTP %i and exit code %i', (code, status, exitCode) => {
    const failure = failureOf(new TokenStoreError(code, `store says ${code}`));
    expect([failure.status, failure.exitCode]).toEqual([status, exitCode]);
    expect(failure.message).toBe(`store says ${code}`);
  });

  it('a busy store answers a retryable 503 without naming AWS internals, and is logged', () => {
    const failure = failureOf(new TokenStoreError('throttled', 'DynamoDB throttled revoke'));
    expect(failure.publicMessage).toBe('The token store is busy or unavailable; retry shortly');
    expect(failure.headers).toEqual({ 'retry-after': '1' });
    expect(failure.unexpected).toBe(true);
  });

  it('a refusal keeps its status and message; conflict and gone exit 1, the rest 2', () => {
    for (const status of [400, 401, 403, 404, 409, 410] as const) {
      const failure = failureOf(new ApiError(status, 'no'));
      expect([failure.status, failure.publicMessage, failure.unexpected]).toEqual([
        status,
        'no',
        false,
      ]);
      expect(failure.exitCode).toBe(status === 409 || status === 410 ? 1 : 2);
    }
    expect(failureOf(new BadRequest('bad', 415))).toMatchObject({ status: 415, exitCode: 2 });
  });

  it('anything else is an internal 500 that names nothing, exit 1', () => {
    const failure = failureOf(new TypeError('x is undefined'));
    expect(failure).toMatchObject({
      status: 500,
      publicMessage: 'Internal error',
      exitCode: 1,
      unexpected: true,
    });
    expect(failure.message).toBe('TypeError: x is undefined');
  });
});
