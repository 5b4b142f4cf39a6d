/**
 * The management API's routes: each with the scopes the authorizer requires (part of the
 * stack's route catalog) and the operation that serves it. The service enforces tenant
 * isolation and escalation rules on top of the scopes.
 */
import * as z from 'zod/mini';
import type { Route } from '../authz/routes';
import { TokenStoreError } from '../store/errors';
import {
  BadRequest,
  callerOf,
  errorResponse,
  json,
  jsonBody,
  proxyEventSchema,
  validate,
  type HttpResponse,
  type ProxyEvent,
} from './http';
import {
  auditPage,
  auditQuery,
  createTokenBody,
  emergencyRevokeBody,
  emergencyRevokeResult,
  issuedToken,
  listTokensQuery,
  meView,
  revokedToken,
  revokeQuery,
  rotatedToken,
  rotateTokenBody,
  tokenIdParams,
  tokenPage,
  tokenView,
  usageView,
} from './schemas';
import { ApiError, type Caller, type TokenService } from './token-service';

type Operation = (service: TokenService, caller: Caller, event: ProxyEvent) => Promise<unknown>;

interface ManagementRoute extends Route {
  readonly status: number;
  readonly operation: Operation;
  /** For the OpenAPI document: what it does and the shapes it takes and returns. */
  readonly summary: string;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly response: z.ZodMiniType;
}

const query = (event: ProxyEvent) => event.queryStringParameters ?? {};
const tokenId = (event: ProxyEvent) =>
  validate(tokenIdParams, event.pathParameters ?? {}, 'path').id;
const noBody = (event: ProxyEvent) => validate(emptyBody, jsonBody(event), 'body');
const noQuery = (event: ProxyEvent) => validate(emptyBody, query(event), 'query');
const emptyBody = z.strictObject({});

const ROUTES: readonly ManagementRoute[] = [
  {
    method: 'GET',
    path: '/me',
    summary: "Who am I: the calling token's id, owner and scopes",
    response: meView,
    scopes: [],
    status: 200,
    operation: (s, caller, event) => {
      noQuery(event);
      return s.me(caller);
    },
  },
  {
    method: 'POST',
    path: '/tokens',
    scopes: ['tokens:write'],
    summary: 'Create a token; the plaintext is in this response only',
    body: createTokenBody,
    response: issuedToken,
    status: 201,
    operation: (s, caller, event) =>
      s.create(caller, validate(createTokenBody, jsonBody(event), 'body')),
  },
  {
    method: 'GET',
    path: '/tokens',
    scopes: ['tokens:read'],
    summary: 'List tokens of an owner (yours, unless admin), newest first',
    query: listTokensQuery,
    response: tokenPage,
    status: 200,
    operation: (s, caller, event) =>
      s.list(caller, validate(listTokensQuery, query(event), 'query')),
  },
  {
    method: 'GET',
    path: '/tokens/{id}',
    scopes: ['tokens:read'],
    summary: 'Show a token (never its plaintext or hash)',
    response: tokenView,
    status: 200,
    operation: (s, caller, event) => {
      noQuery(event);
      return s.get(caller, tokenId(event));
    },
  },
  {
    method: 'GET',
    path: '/tokens/{id}/usage',
    summary: 'When and how often a token was used',
    response: usageView,
    scopes: ['tokens:read'],
    status: 200,
    operation: (s, caller, event) => {
      noQuery(event);
      return s.usage(caller, tokenId(event));
    },
  },
  {
    method: 'POST',
    path: '/tokens/{id}/rotate',
    summary: 'Issue a successor; the old token works until its grace deadline',
    body: rotateTokenBody,
    response: rotatedToken,
    scopes: ['tokens:write'],
    status: 201,
    operation: (s, caller, event) => {
      const id = tokenId(event);
      return s.rotate(caller, id, validate(rotateTokenBody, jsonBody(event), 'body'));
    },
  },
  {
    method: 'DELETE',
    path: '/tokens/{id}',
    scopes: ['tokens:write'],
    summary: 'Revoke a token (idempotent)',
    query: revokeQuery,
    response: revokedToken,
    status: 200,
    operation: (s, caller, event) => {
      const id = tokenId(event);
      noBody(event);
      return s.revoke(caller, id, validate(revokeQuery, query(event), 'query').reason);
    },
  },
  {
    method: 'POST',
    path: '/tokens/emergency-revoke',
    summary: "Admin: revoke one token or all of an owner's, and flush the authorizer cache",
    body: emergencyRevokeBody,
    response: emergencyRevokeResult,
    scopes: ['admin'],
    status: 200,
    operation: (s, caller, event) =>
      s.emergencyRevoke(caller, validate(emergencyRevokeBody, jsonBody(event), 'body')),
  },
  {
    method: 'GET',
    path: '/audit',
    summary: 'Admin: audit events of a token or of a day, newest first',
    query: auditQuery,
    response: auditPage,
    scopes: ['admin'],
    status: 200,
    operation: (s, caller, event) => s.audit(caller, validate(auditQuery, query(event), 'query')),
  },
];

/** Everything the OpenAPI document needs about each route. */
export const ROUTE_DOCS = ROUTES.map((route) => ({
  method: route.method,
  path: route.path,
  scopes: route.scopes,
  status: route.status,
  summary: route.summary,
  body: route.body,
  query: route.query,
  response: route.response,
}));

/** The management routes as route-catalog entries (method, path, scopes). */
export const MANAGEMENT_ROUTES: readonly Route[] = ROUTES.map(({ method, path, scopes }) => ({
  method,
  path,
  scopes,
}));

export interface RouteOutcome {
  readonly response: HttpResponse;
  /** For logs and metrics: `POST /tokens`, or `unmatched`. */
  readonly route: string;
  /** An unexpected failure (a 5xx); never sent to the client. */
  readonly error?: unknown;
}

/** Serve one API Gateway REST proxy event. Never throws; unexpected errors become a 500. */
export async function handleRequest(event: unknown, service: TokenService): Promise<RouteOutcome> {
  const parsed = proxyEventSchema.safeParse(event);
  if (!parsed.success) {
    return { route: 'unmatched', response: errorResponse(400, 'Not an API Gateway request') };
  }
  const request = parsed.data;
  const route = ROUTES.find((r) => r.method === request.httpMethod && r.path === request.resource);
  if (route === undefined) {
    return { route: 'unmatched', response: errorResponse(404, 'No such route') };
  }
  const name = `${route.method} ${route.path}`;
  const caller = callerOf(request);
  if (caller === undefined) {
    return { route: name, response: errorResponse(401, 'Unauthorized') };
  }
  try {
    const result = await route.operation(service, caller, request);
    return { route: name, response: json(route.status, result) };
  } catch (error) {
    return { route: name, ...failure(error) };
  }
}

function failure(error: unknown): { response: HttpResponse; error?: unknown } {
  if (error instanceof BadRequest) return { response: errorResponse(400, error.message) };
  if (error instanceof ApiError) return { response: errorResponse(error.status, error.message) };
  if (error instanceof TokenStoreError) {
    switch (error.code) {
      case 'not-found':
        return { response: errorResponse(404, error.message) };
      case 'conflict':
      case 'already-exists':
        return { response: errorResponse(409, error.message) };
      case 'invalid-cursor':
        return { response: errorResponse(400, error.message) };
      case 'throttled':
      case 'unavailable':
      case 'contention':
        return {
          response: {
            ...errorResponse(503, 'The token store is busy or unavailable; retry shortly'),
            headers: { ...json(503, {}).headers, 'retry-after': '1' },
          },
          error,
        };
      case 'corrupt-item':
        break;
    }
  }
  return { response: errorResponse(500, 'Internal error'), error };
}
