/**
 * The management API's operations as the client calls them: method, path and the schema of
 * the answer, by operationId. test/unit/client.test.ts checks this table against
 * docs/openapi.json and the server's routes, so they cannot drift; the server's route table
 * itself (shared/api/routes.ts, with the use cases behind it) is not shipped to clients.
 */
import * as z from 'zod/mini';
import * as R from '../shared/api/responses';

/** GET /health, answered by API Gateway itself. */
const healthView = z.object({ status: z.literal('ok') });

export const OPERATIONS = {
  getMe: { method: 'GET', path: '/me', response: R.meView },
  createToken: { method: 'POST', path: '/tokens', response: R.issuedToken },
  createBootstrapToken: { method: 'POST', path: '/tokens/bootstrap', response: R.issuedToken },
  exchangeBootstrapToken: { method: 'POST', path: '/tokens/exchange', response: R.exchangedToken },
  listTokens: { method: 'GET', path: '/tokens', response: R.tokenPage },
  getToken: { method: 'GET', path: '/tokens/{id}', response: R.tokenView },
  getTokenUsage: { method: 'GET', path: '/tokens/{id}/usage', response: R.usageView },
  rotateToken: { method: 'POST', path: '/tokens/{id}/rotate', response: R.rotatedToken },
  requestRotation: {
    method: 'POST',
    path: '/tokens/{id}/rotation-requests',
    response: R.rotationRequestView,
  },
  listRotationRequests: {
    method: 'GET',
    path: '/rotation-requests',
    response: R.rotationRequestPage,
  },
  approveRotationRequest: {
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/approve',
    response: R.rotationRequestView,
  },
  rejectRotationRequest: {
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/reject',
    response: R.rotationRequestView,
  },
  executeRotationRequest: {
    method: 'POST',
    path: '/tokens/{id}/rotation-requests/{requestId}/execute',
    response: R.grantedRotation,
  },
  revokeToken: { method: 'DELETE', path: '/tokens/{id}', response: R.revokedToken },
  emergencyRevoke: {
    method: 'POST',
    path: '/tokens/emergency-revoke',
    response: R.emergencyRevokeResult,
  },
  listAuditEvents: { method: 'GET', path: '/audit', response: R.auditPage },
  listApis: { method: 'GET', path: '/apis', response: R.apiPage },
  getHealth: { method: 'GET', path: '/health', response: healthView },
  getOpenApiDocument: { method: 'GET', path: '/openapi.json', response: R.openApiView },
} as const;

export type OperationId = keyof typeof OPERATIONS;
/** What `operation` answers on success. */
export type AnswerOf<O extends OperationId> = z.infer<(typeof OPERATIONS)[O]['response']>;

const RESPONSES: {
  readonly [O in OperationId]: { readonly response: z.ZodMiniType<AnswerOf<O>> };
} = OPERATIONS;

/** The schema of what `operation` answers, typed for that operation. */
export function responseSchema<O extends OperationId>(operation: O): z.ZodMiniType<AnswerOf<O>> {
  return RESPONSES[operation].response;
}

/** The path of `operation` with its parameters filled in, each URL-encoded. */
export function pathOf(operation: OperationId, params: Readonly<Record<string, string>>): string {
  return OPERATIONS[operation].path.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') {
      throw new TypeError(`${operation}: the path parameter "${name}" is missing`);
    }
    return encodeURIComponent(value);
  });
}
