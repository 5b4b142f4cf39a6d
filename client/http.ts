/**
 * One call of the management API over `fetch`: the request, retries of 503 and 429 as the
 * API's Retry-After says, and the answer checked against the operation's response schema.
 */
import * as z from 'zod/mini';
import { ServiceTokensError } from './errors';
import { OPERATIONS, pathOf, responseSchema, type AnswerOf, type OperationId } from './operations';

export interface Transport {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly fetch: typeof globalThis.fetch;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** The longest wait between attempts; a longer Retry-After ends the retries. */
  readonly maxRetryDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** Another token than the client's, e.g. the bootstrap token of an exchange. */
  readonly token?: string;
}

/**
 * Whether an answer may be retried as it is. 429 is API Gateway's throttle, before anything
 * ran. A 503 may come after a write that did commit (a store timeout), so only a read is
 * retried on it: retrying a create or a rotation could issue a second token whose plaintext
 * nobody saw, or use up a bootstrap token.
 */
function retryable(status: number, operation: OperationId): boolean {
  return status === 429 || (status === 503 && OPERATIONS[operation].method === 'GET');
}
const FIRST_BACKOFF_MS = 200;

/** Retry-After in seconds (a number, or an HTTP date), if the answer had one. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function urlOf(transport: Transport, operation: OperationId, input: CallInput): string {
  const url = new URL(
    `${transport.baseUrl.replace(/\/+$/, '')}${pathOf(operation, input.params ?? {})}`,
  );
  for (const [name, value] of Object.entries(input.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

async function attempt(
  transport: Transport,
  operation: OperationId,
  input: CallInput,
): Promise<Response> {
  const token = input.token ?? transport.token;
  try {
    return await transport.fetch(urlOf(transport, operation, input), {
      method: OPERATIONS[operation].method,
      headers: {
        accept: 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(input.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
    });
  } catch (error) {
    // The cause may be a TypeError("fetch failed") with the real reason beneath it.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new ServiceTokensError('network', operation, `${operation}: no answer (${reason})`);
  }
}

async function bodyOf(response: Response, operation: OperationId): Promise<unknown> {
  const text = await response.text();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceTokensError(
      'invalid-response',
      operation,
      `${operation}: answered ${String(response.status)} with a body that is not JSON`,
      response.status,
    );
  }
}

const errorBody = z.object({ message: z.string() });

/** Call `operation` and return its answer, checked; throws ServiceTokensError. */
export async function call<O extends OperationId>(
  transport: Transport,
  operation: O,
  input: CallInput,
): Promise<AnswerOf<O>> {
  const schema = responseSchema(operation);
  for (let tries = 1; ; tries += 1) {
    const response = await attempt(transport, operation, input);
    const body = await bodyOf(response, operation);
    if (response.ok) {
      const parsed = schema.safeParse(body);
      if (parsed.success) return parsed.data;
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
      throw new ServiceTokensError(
        'invalid-response',
        operation,
        `${operation}: the answer does not match the API's contract at ${where.join(', ')}`,
        response.status,
      );
    }
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
    const delayMs =
      retryAfter === undefined ? FIRST_BACKOFF_MS * 2 ** (tries - 1) : retryAfter * 1000;
    if (
      retryable(response.status, operation) &&
      tries < transport.maxAttempts &&
      delayMs <= transport.maxRetryDelayMs
    ) {
      await transport.sleep(delayMs);
      continue;
    }
    const message = errorBody.safeParse(body).data?.message ?? response.statusText;
    throw new ServiceTokensError(
      'http',
      operation,
      `${operation}: ${String(response.status)} ${message}`,
      response.status,
      retryAfter,
    );
  }
}
