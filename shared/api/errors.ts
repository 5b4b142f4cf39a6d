/**
 * Every error a use case can raise, and the one table that says what its caller gets: the
 * HTTP status (router and exchange route) and the CLI's exit code. Exit codes: 1 failed (AWS,
 * conflict, gone), 2 bad input, refused or not found.
 */
import { TokenStoreError, type StoreErrorCode } from '../store/errors';

/** A refusal of the request as asked: the status and message go to the caller as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Something wrong with the request itself: 400, or 415 for a body that is not JSON. */
export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415 = 400,
  ) {
    super(message);
    this.name = 'BadRequest';
  }
}

interface ErrorClass {
  readonly status: number;
  readonly exitCode: 1 | 2;
  /** What the API answers instead of the error's own message (which may name AWS internals). */
  readonly publicMessage?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Not the caller's doing: the API logs it. */
  readonly unexpected?: true;
}

const BUSY: ErrorClass = {
  status: 503,
  exitCode: 1,
  publicMessage: 'The token store is busy or unavailable; retry shortly',
  headers: { 'retry-after': '1' },
  unexpected: true,
};

const STORE_ERRORS: Readonly<Record<StoreErrorCode, ErrorClass>> = {
  'not-found': { status: 404, exitCode: 2 },
  conflict: { status: 409, exitCode: 1 },
  'already-exists': { status: 409, exitCode: 1 },
  gone: { status: 410, exitCode: 1 },
  'invalid-cursor': { status: 400, exitCode: 1 },
  throttled: BUSY,
  unavailable: BUSY,
  contention: BUSY,
  'corrupt-item': { status: 500, exitCode: 1, publicMessage: 'Internal error', unexpected: true },
};

export interface Failure {
  readonly status: number;
  readonly exitCode: 1 | 2;
  /** For the API's answer. */
  readonly publicMessage: string;
  /** For an operator (the CLI): the error's own message. */
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly unexpected: boolean;
}

/** What `error` means to a caller; anything unknown is an unexpected 500 (exit 1). */
export function failureOf(error: unknown): Failure {
  if (error instanceof ApiError || error instanceof BadRequest) {
    const failed = error.status === 409 || error.status === 410;
    return classified({ status: error.status, exitCode: failed ? 1 : 2 }, error.message);
  }
  if (error instanceof TokenStoreError) return classified(STORE_ERRORS[error.code], error.message);
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return classified(
    { status: 500, exitCode: 1, publicMessage: 'Internal error', unexpected: true },
    `${name}: ${message}`,
  );
}

function classified(error: ErrorClass, message: string): Failure {
  return {
    status: error.status,
    exitCode: error.exitCode,
    publicMessage: error.publicMessage ?? message,
    message,
    headers: error.headers ?? {},
    unexpected: error.unexpected === true,
  };
}
