/**
 * The management API's routes: each with the scopes the authorizer requires (part of the
 * stack's route catalog) and the operation that serves it. The service enforces tenant
 * isolation and escalation rules on top of the scopes.
 */
import * as z from 'zod/mini';
import type { Route } from '../authz/routes';
import { headerValue } from '../headers';
import {
  callerOf,
  errorResponse,
  json,
  jsonBody,
  proxyEventSchema,
  rawParameterProblem,
  validate,
  type HttpResponse,
  type ProxyEvent,
} from './http';
import {
  auditPage,
  approveBody,
  auditQuery,
  createBootstrapBody,
  grantedRotation,
  listRotationRequestsQuery,
  rejectBody,
  rotationRequestBody,
  rotationRequestPage,
  rotationRequestParams,
  rotationRequestView,
  createTokenBody,
  exchangeBody,
  exchangedToken,
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
import { failureOf } from './errors';
import type { Caller, TokenService } from './token-service';

/**
 * Asking for a rotation and using its grant are open to any valid token, so that a token can
 * ask for its own rotation; the service decides who may do what (see TokenService).
 */
const REQUEST_SCOPES: string[] = [];
/** Deciding is for admins; management tokens reach the service so that a refusal is audited. */
const DECIDE_SCOPES = ['tokens:read', 'tokens:write'];

/** The schema of "no body" / "no query": any field is refused. */
const NONE = z.strictObject({});
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
  /** The path parameters' schema. Default: `{id}`, a token id. */
  readonly params?: z.ZodMiniType<{ id: string; requestId?: string }>;
  /** For the OpenAPI document: what it does and what it returns. */
  readonly summary: string;
  readonly response: z.ZodMiniType;
  /** The request body and query schemas; NONE means the request must have none. */
  readonly body: B;
  readonly query: Q;
  readonly operation: (
    service: TokenService,
    caller: Caller,
    input: Input<B, Q>,
  ) => Promise<unknown>;
}

interface ManagementRoute extends Route {
  readonly status: number;
  readonly public?: true;
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
function route<B extends z.ZodMiniType, Q extends z.ZodMiniType>(
  spec: RouteSpec<B, Q>,
): ManagementRoute {
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

const ROUTES: readonly ManagementRoute[] = [
  route({
    method: 'GET',
    path: '/me',
    scopes: [],
    summary: "Who am I: the calling token's id, owner and scopes",
    response: meView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller) => s.me(caller),
  }),
  route({
    method: 'POST',
    path: '/tokens',
    scopes: ['tokens:write'],
    summary: 'Create a token; the plaintext is in this response only',
    body: createTokenBody,
    response: issuedToken,
    status: 201,
    query: NONE,
    operation: (s, caller, { body }) => s.create(caller, body),
  }),
  route({
    method: 'POST',
    path: '/tokens/bootstrap',
    scopes: ['admin'],
    summary:
      'Admin: issue a short-lived, single-use bootstrap token that a new service exchanges for its own token',
    body: createBootstrapBody,
    response: issuedToken,
    status: 201,
    query: NONE,
    operation: (s, caller, { body }) => s.createBootstrap(caller, body),
  }),
  route({
    method: 'POST',
    path: '/tokens/exchange',
    scopes: [],
    public: true,
    summary:
      'Exchange a bootstrap token (Authorization: Bearer, no authorizer) once for an operational token',
    body: exchangeBody,
    response: exchangedToken,
    status: 201,
    query: NONE,
    operation: (s, _caller, { body, authorization, apiRequestId }) =>
      s.exchange(authorization, body, apiRequestId),
  }),
  route({
    method: 'GET',
    path: '/tokens',
    scopes: ['tokens:read'],
    summary: 'List tokens of an owner (yours, unless admin), newest first',
    query: listTokensQuery,
    response: tokenPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.list(caller, query),
  }),
  route({
    method: 'GET',
    path: '/tokens/{id}',
    scopes: ['tokens:read'],
    summary: 'Show a token (never its plaintext or hash)',
    response: tokenView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller, { id }) => s.get(caller, id),
  }),
  route({
    method: 'GET',
    path: '/tokens/{id}/usage',
    scopes: ['tokens:read'],
    summary: 'When and how often a token was used',
    response: usageView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller, { id }) => s.usage(caller, id),
  }),
  route({
    method: 'POST',
    path: '/tokens/{id}/rotate',
    scopes: ['tokens:write'],
    summary: 'Issue a successor; the old token works until its grace deadline',
    body: rotateTokenBody,
    response: rotatedToken,
    status: 201,
    query: NONE,
    operation: (s, caller, { id, body }) => s.rotate(caller, id, body),
  }),
  route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests',
    scopes: REQUEST_SCOPES,
    summary: "Ask for a token's rotation, with a reason; an admin approves or rejects it",
    body: rotationRequestBody,
    response: rotationRequestView,
    status: 201,
    query: NONE,
    operation: (s, caller, { id, body }) => s.requestRotation(caller, id, body),
  }),
  route({
    method: 'GET',
    path: '/rotation-requests',
    scopes: ['admin'],
    summary:
      'Admin: open rotation requests (pending, or approved and not used), soonest deadline first',
    query: listRotationRequestsQuery,
    response: rotationRequestPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.listRotationRequests(caller, query),
  }),
  route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/approve',
    params: rotationRequestParams,
    scopes: DECIDE_SCOPES,
    summary: 'Admin: approve a request; it grants one rotation, to be used within 24 hours',
    body: approveBody,
    response: rotationRequestView,
    status: 200,
    query: NONE,
    operation: (s, caller, { id, requestId, body }) =>
      s.decideRotation(caller, id, requestId, { approve: true, ...body }),
  }),
  route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/reject',
    params: rotationRequestParams,
    scopes: DECIDE_SCOPES,
    summary: 'Admin: reject a request',
    body: rejectBody,
    response: rotationRequestView,
    status: 200,
    query: NONE,
    operation: (s, caller, { id, requestId, body }) =>
      s.decideRotation(caller, id, requestId, { approve: false, note: body.reason }),
  }),
  route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/execute',
    params: rotationRequestParams,
    scopes: REQUEST_SCOPES,
    summary:
      "Use an approved request's one-time grant: rotate the token now, on the terms the approver fixed",
    body: NONE,
    response: grantedRotation,
    status: 201,
    query: NONE,
    operation: (s, caller, { id, requestId }) => s.executeRotation(caller, id, requestId),
  }),
  route({
    method: 'DELETE',
    path: '/tokens/{id}',
    scopes: ['tokens:write'],
    summary: 'Revoke a token (idempotent)',
    query: revokeQuery,
    response: revokedToken,
    status: 200,
    body: NONE,
    operation: (s, caller, { id, query }) => s.revoke(caller, id, query.reason),
  }),
  route({
    method: 'POST',
    path: '/tokens/emergency-revoke',
    scopes: ['admin'],
    summary: "Admin: revoke one token or all of an owner's, and flush the authorizer cache",
    body: emergencyRevokeBody,
    response: emergencyRevokeResult,
    status: 200,
    query: NONE,
    operation: (s, caller, { body }) => s.emergencyRevoke(caller, body),
  }),
  route({
    method: 'GET',
    path: '/audit',
    scopes: ['admin'],
    summary: 'Admin: audit events of a token or of a day, newest first',
    query: auditQuery,
    response: auditPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.audit(caller, query),
  }),
];

/** Everything the OpenAPI document needs about each route. */
export const ROUTE_DOCS = ROUTES.map((route) => ({
  method: route.method,
  path: route.path,
  scopes: route.scopes,
  public: route.public === true,
  params: route.params,
  status: route.status,
  summary: route.summary,
  body: route.body,
  query: route.query,
  response: route.response,
}));

/** The management routes behind the authorizer, as route-catalog entries. */
export const MANAGEMENT_ROUTES: readonly Route[] = ROUTES.filter((r) => r.public !== true).map(
  ({ method, path, scopes }) => ({ method, path, scopes }),
);

/** Routes with no authorizer in front: each authenticates its requests itself. */
export const PUBLIC_ROUTES: readonly Route[] = ROUTES.filter((r) => r.public === true).map(
  ({ method, path, scopes }) => ({ method, path, scopes }),
);

export interface RouteOutcome {
  readonly response: HttpResponse;
  /** For logs and metrics: `POST /tokens`, or `unmatched`. */
  readonly route: string;
  /** An unexpected failure (a 5xx); never sent to the client. */
  readonly error?: unknown;
  /** API Gateway's request id: the correlation id of the request's log lines. */
  readonly requestId?: string;
}

/** Serve one API Gateway REST proxy event. Never throws; unexpected errors become a 500. */
export async function handleRequest(event: unknown, service: TokenService): Promise<RouteOutcome> {
  const parsed = proxyEventSchema.safeParse(event);
  if (!parsed.success) {
    return { route: 'unmatched', response: errorResponse(400, 'Not an API Gateway request') };
  }
  const request = parsed.data;
  const requestId = request.requestContext.requestId;
  const rawProblem = rawParameterProblem(event);
  if (rawProblem !== undefined) {
    return { route: 'unmatched', requestId, response: errorResponse(400, rawProblem) };
  }
  const route = ROUTES.find((r) => r.method === request.httpMethod && r.path === request.resource);
  if (route === undefined) {
    return { route: 'unmatched', requestId, response: errorResponse(404, 'No such route') };
  }
  const name = `${route.method} ${route.path}`;
  const caller =
    route.public === true ? anonymous(request.requestContext.requestId) : callerOf(request);
  if (caller === undefined) {
    return { route: name, requestId, response: errorResponse(401, 'Unauthorized') };
  }
  try {
    // Every route behind the authorizer re-checks its caller first: a cached Allow policy is
    // not proof that the token is still valid, nor current.
    const acting =
      route.public === true
        ? caller
        : await service.authenticate(
            caller,
            headerValue(request.headers, 'authorization'),
            route.method === 'GET' ? 'read' : 'write',
          );
    const result = await route.serve(service, acting, request);
    return { route: name, requestId, response: json(route.status, result) };
  } catch (error) {
    return { route: name, requestId, ...failure(error) };
  }
}

/** The caller of a public route: nobody yet; the operation authenticates the request. */
function anonymous(requestId: string): Caller {
  return { tokenId: 'anonymous', owner: '', scopes: [], requestId };
}

function failure(error: unknown): { response: HttpResponse; error?: unknown } {
  const failed = failureOf(error);
  const response = errorResponse(failed.status, failed.publicMessage, { ...failed.headers });
  return failed.unexpected ? { response, error } : { response };
}
