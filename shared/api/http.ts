/**
 * API Gateway REST proxy events in, responses out. Everything that reaches the service is
 * validated here; anything wrong with a request becomes a 4xx whose message says what, and
 * never carries the request's values back (they could be secrets pasted in the wrong field).
 */
import * as z from 'zod/mini';
import { headerValue } from '../headers';
import { BadRequest } from './errors';
import { holdsToken } from '../token/format';
import { rawEntryProblem } from './strict-input';
import { splitScopes } from '../token/scope';
import type { Caller } from './access';

const stringMap = z.nullable(z.optional(z.record(z.string(), z.string())));

export const proxyEventSchema = z.object({
  httpMethod: z.string(),
  /** The resource template, e.g. `/tokens/{id}`. */
  resource: z.string(),
  headers: stringMap,
  pathParameters: stringMap,
  queryStringParameters: stringMap,
  body: z.nullable(z.optional(z.string())),
  isBase64Encoded: z.optional(z.boolean()),
  requestContext: z.object({
    requestId: z.string(),
    // Set by API Gateway from the authorizer's context; a client cannot forge it.
    authorizer: z.nullable(
      z.optional(
        z.object({
          tokenId: z.string().check(z.minLength(1)),
          owner: z.string().check(z.minLength(1)),
          scopes: z.string(),
        }),
      ),
    ),
  }),
});

export type ProxyEvent = z.infer<typeof proxyEventSchema>;

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON response that no cache may keep. */
export function json(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'application/json',
      // Responses may carry a freshly issued token: never cache them anywhere.
      'cache-control': 'no-store',
    },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  const response = json(statusCode, { message });
  return { ...response, headers: { ...response.headers, ...headers } };
}

/**
 * The caller the authorizer vouched for; undefined (a 401) without one, or when its scopes are
 * not exactly the authorizer's space-joined list: a context that needs interpreting (a stray
 * separator, a scope outside the grammar) is refused, never read generously into `admin`.
 */
export function callerOf(event: ProxyEvent): Caller | undefined {
  const context = event.requestContext.authorizer;
  if (context === undefined || context === null) return undefined;
  const scopes = splitScopes(context.scopes);
  if (scopes === undefined) return undefined;
  return {
    tokenId: context.tokenId,
    owner: context.owner,
    scopes,
    requestId: event.requestContext.requestId,
  };
}

/** Validate `input` against `schema`, or throw a BadRequest naming each problem. */
export function validate<T extends z.ZodMiniType>(
  schema: T,
  input: unknown,
  what: string,
): z.infer<T> {
  // reportInput lets "missing" be told from "wrong type"; the values never reach the message.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(keyText).join('.');
    if (issue.code === 'unrecognized_keys') {
      return `unknown field(s) ${issue.keys.map((k) => `"${keyText(k)}"`).join(', ')}`;
    }
    if (issue.code === 'invalid_key') {
      // Name the map, not the key: the refused key is the caller's text.
      const map = issue.path.slice(0, -1).map(keyText).join('.');
      return `${map}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined && path !== '') {
      return `${path} is required`;
    }
    if (issue.code === 'invalid_type') {
      return `${path === '' ? what : path} must be ${issue.expected === 'object' ? 'a JSON object' : `a ${issue.expected}`}`;
    }
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  throw new BadRequest(`Invalid ${what}: ${problems.join('; ')}`);
}

/** A field name for a message: a key that holds a token is not repeated back. */
function keyText(key: PropertyKey): string {
  const text = String(key);
  return holdsToken(text) ? '[a key holding a token]' : text;
}

/** `application/json`, or a `+json` type, with any parameters (`; charset=utf-8`). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json[ \t]*(?:;.*)?$/i;

/**
 * The JSON body of a request ({} when there is none). A body must say it is JSON: a form or
 * text body is a 415, not something to guess at. Every key and string in it is checked raw
 * (see strict-input.ts), before any schema could drop or trip over it.
 */
export function jsonBody(event: ProxyEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return {};
  if (!JSON_MEDIA_TYPE.test(headerValue(event.headers, 'content-type') ?? '')) {
    throw new BadRequest('The request body must be JSON (Content-Type: application/json)', 415);
  }
  const text =
    event.isBase64Encoded === true
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;
  let problem: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key: string, value: unknown) => {
      problem ??= rawEntryProblem(key, value);
      return value;
    });
  } catch {
    throw new BadRequest('The request body is not valid JSON');
  }
  if (problem !== undefined) throw new BadRequest(`Invalid body: ${problem}`);
  return parsed;
}

/**
 * The query string and path parameters as API Gateway sent them, checked raw: the event schema
 * would drop a `__proto__` key silently.
 */
export function rawParameterProblem(event: unknown): string | undefined {
  for (const [field, what] of [
    ['queryStringParameters', 'query'],
    ['pathParameters', 'path'],
  ] as const) {
    const map: unknown =
      typeof event === 'object' && event !== null ? Reflect.get(event, field) : undefined;
    if (typeof map !== 'object' || map === null) continue;
    for (const [key, value] of Object.entries(map)) {
      const problem = rawEntryProblem(key, value);
      if (problem !== undefined) return `Invalid ${what}: ${problem}`;
    }
  }
  return undefined;
}
