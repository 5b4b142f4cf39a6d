/**
 * How a management route is declared: its place in the route catalog (method, path, the
 * scopes the authorizer requires), what the OpenAPI document shows, and the operation that
 * serves it, with its input validated against exactly the declared schemas.
 */
import * as z from 'zod/mini';
import type { Route } from '../authz/routes';
import { headerValue } from '../headers';
import type { Caller } from './access';
import { jsonBody, validate, type ProxyEvent } from './http';
import { tokenIdParams } from './schemas';
import type { TokenService } from './token-service';

/** The schema of "no body" / "no query": any field is refused. */
export const NONE = z.strictObject({});
const isNone = (schema: z.ZodMiniType): boolean => Object.is(schema, NONE);

interface Input<B extends z.ZodMiniType, Q extends z.ZodMiniType> {
  /** The `{id}` path parameter, validated, on routes that have one. */
  readonly id: string;
  /** The `{requestId}` path parameter, validated, on routes that have one. */
  readonly requestId: string;
  /** The Authorization header: read only by the public routes, which have no authorizer. */
  readonly authorization: string | undefined;
  /** API Gateway's request id. */
  readonly apiRequestId: string;
  readonly body: z.infer<B>;
  readonly query: z.infer<Q>;
}

interface RouteSpec<B extends z.ZodMiniType, Q extends z.ZodMiniType> extends Route {
  readonly status: number;
  /**
   * No authorizer in front (API Gateway authorization NONE, throttled per method): the
   * operation authenticates the request itself. Not part of the authorizer's route catalog.
   */
  readonly public?: true;
  /**
   * A public route that authenticates nobody at all (the API's own document): no token of any
   * kind, so it can answer no 401, 403 or 503.
   */
  readonly anonymous?: true;
  /** The path parameters' schema. Default: `{id}`, a token id. */
  readonly params?: z.ZodMiniType<{ id: string; requestId?: string }>;
  /** For the OpenAPI document: what it does and what it returns. */
  readonly summary: string;
  readonly response: z.ZodMiniType;
  /**
   * The state refusals the operation can answer, besides those of every route (400 for bad
   * input, 401, 403, 503) and the 404 of a `{id}` that names no visible token.
   * @default - none
   */
  readonly refusals?: readonly StateRefusal[];
  /** The request body and query schemas; NONE means the request must have none. */
  readonly body: B;
  readonly query: Q;
  readonly operation: (
    service: TokenService,
    caller: Caller,
    input: Input<B, Q>,
  ) => Promise<unknown>;
}

/** A refusal because of the state of things: gone, in the wrong state, or not there. */
export type StateRefusal = 404 | 409 | 410;

export interface ManagementRoute extends Route {
  /** The operation's name in the OpenAPI document and for generated clients. */
  readonly operationId: string;
  readonly status: number;
  readonly refusals?: readonly StateRefusal[];
  readonly public?: true;
  readonly anonymous?: true;
  readonly params?: z.ZodMiniType<{ id: string; requestId?: string }>;
  readonly summary: string;
  readonly response: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  /** Validates the request against the declared schemas, then runs the operation. */
  readonly serve: (service: TokenService, caller: Caller, event: ProxyEvent) => Promise<unknown>;
}

/**
 * A route whose declared schemas are exactly what validates its requests (and what the OpenAPI
 * document shows): the body, the query, and the `{id}` path parameter.
 */
export function route<B extends z.ZodMiniType, Q extends z.ZodMiniType>(
  spec: RouteSpec<B, Q>,
): Omit<ManagementRoute, 'operationId'> {
  const { operation, body, query, ...docs } = spec;
  return {
    ...docs,
    ...(isNone(body) ? {} : { body }),
    ...(isNone(query) ? {} : { query }),
    serve: (service, caller, event) => {
      const params: { id: string; requestId?: string } = spec.path.includes('{')
        ? validate(spec.params ?? tokenIdParams, event.pathParameters ?? {}, 'path')
        : { id: '' };
      return operation(service, caller, {
        id: params.id,
        requestId: params.requestId ?? '',
        authorization: headerValue(event.headers, 'authorization'),
        apiRequestId: event.requestContext.requestId,
        body: validate(body, jsonBody(event), 'body'),
        query: validate(query, event.queryStringParameters ?? {}, 'query'),
      });
    },
  };
}
