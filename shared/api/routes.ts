/**
 * The management API's routes: each with the scopes the authorizer requires (part of the
 * stack's route catalog) and the operation that serves it. The use cases enforce tenant
 * isolation and escalation rules on top of the scopes.
 */
import type { Route } from '../authz/routes';
import { NONE, route, type ManagementRoute } from './route-spec';
import { APIS_SCOPE } from './use-cases/apis';
import {
  apiPage,
  auditPage,
  emergencyRevokeResult,
  exchangedToken,
  grantedRotation,
  issuedToken,
  meView,
  openApiView,
  revokedToken,
  rotatedToken,
  rotationRequestPage,
  rotationRequestView,
  tokenPage,
  tokenView,
  usageView,
} from './responses';
import {
  approveBody,
  auditQuery,
  createBootstrapBody,
  createTokenBody,
  emergencyRevokeBody,
  exchangeBody,
  listApisQuery,
  listRotationRequestsQuery,
  listTokensQuery,
  rejectBody,
  revokeQuery,
  rotateTokenBody,
  rotationRequestBody,
  rotationRequestParams,
} from './schemas';

/**
 * Asking for a rotation and using its grant are open to any valid token, so that a token can
 * ask for its own rotation; the service decides who may do what (see TokenService).
 */
const REQUEST_SCOPES: string[] = [];
/** Deciding is for admins; management tokens reach the service so that a refusal is audited. */
const DECIDE_SCOPES = ['tokens:read', 'tokens:write'];

/**
 * Built on first use (once per container), from this very table; imported lazily, as the
 * document's generator reads this table.
 */
let document: Promise<unknown> | undefined;
const servedDocument = () =>
  (document ??= import('./openapi').then(({ openApiDocument }) => openApiDocument()));

/** The management operations, by operationId (the OpenAPI document's). */
const OPERATIONS = {
  getMe: route({
    method: 'GET',
    path: '/me',
    scopes: [],
    summary: "Who am I: the calling token's id, owner and scopes",
    response: meView,
    refusals: [404],
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller) => s.session.me(caller),
  }),
  createToken: route({
    method: 'POST',
    path: '/tokens',
    scopes: ['tokens:write'],
    summary: 'Create a token; the plaintext is in this response only',
    body: createTokenBody,
    response: issuedToken,
    status: 201,
    query: NONE,
    operation: (s, caller, { body }) => s.tokens.create(caller, body),
  }),
  createBootstrapToken: route({
    method: 'POST',
    path: '/tokens/bootstrap',
    scopes: ['admin'],
    summary:
      'Admin: issue a short-lived, single-use bootstrap token that a new service exchanges for its own token',
    body: createBootstrapBody,
    response: issuedToken,
    status: 201,
    query: NONE,
    operation: (s, caller, { body }) => s.bootstrap.create(caller, body),
  }),
  exchangeBootstrapToken: route({
    method: 'POST',
    path: '/tokens/exchange',
    scopes: [],
    public: true,
    summary:
      'Exchange a bootstrap token (Authorization: Bearer, no authorizer) once for an operational token',
    body: exchangeBody,
    response: exchangedToken,
    refusals: [409, 410],
    status: 201,
    query: NONE,
    operation: (s, _caller, { body, authorization, apiRequestId }) =>
      s.bootstrap.exchange(authorization, body, apiRequestId),
  }),
  listTokens: route({
    method: 'GET',
    path: '/tokens',
    scopes: ['tokens:read'],
    summary: 'List tokens of an owner (yours, unless admin), newest first',
    query: listTokensQuery,
    response: tokenPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.tokens.list(caller, query),
  }),
  getToken: route({
    method: 'GET',
    path: '/tokens/{id}',
    scopes: ['tokens:read'],
    summary: 'Show a token (never its plaintext or hash)',
    response: tokenView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller, { id }) => s.tokens.get(caller, id),
  }),
  getTokenUsage: route({
    method: 'GET',
    path: '/tokens/{id}/usage',
    scopes: ['tokens:read'],
    summary: 'When and how often a token was used',
    response: usageView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: (s, caller, { id }) => s.tokens.usage(caller, id),
  }),
  rotateToken: route({
    method: 'POST',
    path: '/tokens/{id}/rotate',
    scopes: ['tokens:write'],
    summary: 'Issue a successor; the old token works until its grace deadline',
    body: rotateTokenBody,
    response: rotatedToken,
    refusals: [409],
    status: 201,
    query: NONE,
    operation: (s, caller, { id, body }) => s.tokens.rotate(caller, id, body),
  }),
  requestRotation: route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests',
    scopes: REQUEST_SCOPES,
    summary: "Ask for a token's rotation, with a reason; an admin approves or rejects it",
    body: rotationRequestBody,
    response: rotationRequestView,
    refusals: [409],
    status: 201,
    query: NONE,
    operation: (s, caller, { id, body }) => s.requests.request(caller, id, body),
  }),
  listRotationRequests: route({
    method: 'GET',
    path: '/rotation-requests',
    scopes: ['admin'],
    summary:
      'Admin: open rotation requests (pending, or approved and not used), soonest deadline first',
    query: listRotationRequestsQuery,
    response: rotationRequestPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.requests.list(caller, query),
  }),
  approveRotationRequest: route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/approve',
    params: rotationRequestParams,
    scopes: DECIDE_SCOPES,
    summary: 'Admin: approve a request; it grants one rotation, to be used within 24 hours',
    body: approveBody,
    response: rotationRequestView,
    refusals: [409, 410],
    status: 200,
    query: NONE,
    operation: (s, caller, { id, requestId, body }) =>
      s.requests.decide(caller, id, requestId, { approve: true, ...body }),
  }),
  rejectRotationRequest: route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/reject',
    params: rotationRequestParams,
    scopes: DECIDE_SCOPES,
    summary: 'Admin: reject a request',
    body: rejectBody,
    response: rotationRequestView,
    refusals: [409, 410],
    status: 200,
    query: NONE,
    operation: (s, caller, { id, requestId, body }) =>
      s.requests.decide(caller, id, requestId, { approve: false, note: body.reason }),
  }),
  executeRotationRequest: route({
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/execute',
    params: rotationRequestParams,
    scopes: REQUEST_SCOPES,
    summary:
      "Use an approved request's one-time grant: rotate the token now, on the terms the approver fixed",
    body: NONE,
    response: grantedRotation,
    refusals: [409, 410],
    status: 201,
    query: NONE,
    operation: (s, caller, { id, requestId }) => s.requests.execute(caller, id, requestId),
  }),
  revokeToken: route({
    method: 'DELETE',
    path: '/tokens/{id}',
    scopes: ['tokens:write'],
    summary: 'Revoke a token (idempotent)',
    query: revokeQuery,
    response: revokedToken,
    refusals: [409],
    status: 200,
    body: NONE,
    operation: (s, caller, { id, query }) => s.tokens.revoke(caller, id, query.reason),
  }),
  emergencyRevoke: route({
    method: 'POST',
    path: '/tokens/emergency-revoke',
    scopes: ['admin'],
    summary: "Admin: revoke one token or all of an owner's, and flush the authorizer cache",
    body: emergencyRevokeBody,
    response: emergencyRevokeResult,
    refusals: [404],
    status: 200,
    query: NONE,
    operation: (s, caller, { body }) => s.emergency.emergencyRevoke(caller, body),
  }),
  listAuditEvents: route({
    method: 'GET',
    path: '/audit',
    scopes: ['admin'],
    summary: 'Admin: audit events of a token or of a day, newest first',
    query: auditQuery,
    response: auditPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.audit.list(caller, query),
  }),
  getOpenApiDocument: route({
    method: 'GET',
    path: '/openapi.json',
    scopes: [],
    public: true,
    anonymous: true,
    summary: 'This document (OpenAPI 3.1), to generate clients from; needs no token',
    response: openApiView,
    status: 200,
    body: NONE,
    query: NONE,
    operation: servedDocument,
  }),
  listApis: route({
    method: 'GET',
    path: '/apis',
    scopes: [APIS_SCOPE],
    summary:
      'The protected APIs, as their authorizers registered them at deploy: stages, routes and the scopes each knows',
    query: listApisQuery,
    response: apiPage,
    status: 200,
    body: NONE,
    operation: (s, caller, { query }) => s.apis.list(caller, query),
  }),
} satisfies Record<string, Omit<ManagementRoute, 'operationId'>>;

export const ROUTES: readonly ManagementRoute[] = Object.entries(OPERATIONS).map(
  ([operationId, operation]) => ({ ...operation, operationId }),
);

/** The management routes behind the authorizer, as route-catalog entries. */
export const MANAGEMENT_ROUTES: readonly Route[] = ROUTES.filter((r) => r.public !== true).map(
  ({ method, path, scopes }) => ({ method, path, scopes }),
);

/** Routes with no authorizer in front: each authenticates its requests itself. */
export const PUBLIC_ROUTES: readonly Route[] = ROUTES.filter((r) => r.public === true).map(
  ({ method, path, scopes }) => ({ method, path, scopes }),
);
