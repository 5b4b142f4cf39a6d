/** What a failed call of the client throws: one class, with what went wrong as data. */
export type ClientErrorKind =
  /** The API answered with an error status; `message` is the API's own. */
  | 'http'
  /** No answer: refused connection, DNS, TLS, timeout. */
  | 'network'
  /** An answer that is not what the API's contract says (not JSON, wrong shape). */
  | 'invalid-response';

export class ServiceTokensError extends Error {
  override readonly name = 'ServiceTokensError';

  constructor(
    readonly kind: ClientErrorKind,
    /** The operation called, e.g. `createToken`. */
    readonly operation: string,
    message: string,
    /** The HTTP status, for `http` and `invalid-response`. */
    readonly status?: number,
    /** The API's Retry-After, in seconds, when it sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
