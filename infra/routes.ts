/**
 * The backend routes of this deployment (examples: replace them with your own backends). The
 * stack's route catalog is these plus the management API's routes (shared/api/router.ts): the
 * API's methods are built from it and the authorizer receives it (ROUTE_SCOPES), so a policy
 * can only name routes that exist.
 */
import { MANAGEMENT_ROUTES } from '../shared/api/router';
import type { Route } from '../shared/authz/routes';

export const DEFAULT_ROUTES: Route[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/{orderId}', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'DELETE', path: '/orders/{orderId}', scopes: ['orders:admin'] },
];

/** The stack's default route catalog: the management API's routes plus the example backends. */
export const DEFAULT_CATALOG: readonly Route[] = [...MANAGEMENT_ROUTES, ...DEFAULT_ROUTES];

/**
 * The token authorizer's identity validation expression: API Gateway answers 401 without
 * invoking the Lambda when the Authorization header cannot hold a token of this prefix. The
 * checksum is still verified in the function.
 */
export function authorizationHeaderPattern(prefix: string): string {
  return `^[Bb]earer +${prefix}[0-9A-Za-z]{49} *$`;
}

export interface GatewayReply {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What API Gateway itself answers when no integration runs. The stack configures these
 * gateway responses and the local stack (local/gateway.ts) gives the same answers.
 */
export const GATEWAY_REPLIES = {
  /** No Authorization header, or the authorizer threw "Unauthorized" (missing or malformed). */
  unauthorized: {
    status: 401,
    message: 'Missing or malformed service token: send Authorization: Bearer sk_…',
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  /** The policy does not allow this route (unknown, revoked, expired token, or scopes). */
  accessDenied: { status: 403, message: 'This token may not call this route' },
  /** The authorizer failed (e.g. the token table was unreachable): fail closed, retryable. */
  authorizerFailure: {
    status: 503,
    message: 'Authorization is temporarily unavailable; retry shortly',
    headers: { 'Retry-After': '1' },
  },
  /** API Gateway's "Missing Authentication Token" is, without IAM auth, an unknown route. */
  noRoute: { status: 404, message: 'No such route; the API is described in docs/openapi.json' },
  /** A path API Gateway cannot decode (bad percent-encoding). */
  badRequest: { status: 400, message: 'The request path is not valid percent-encoded UTF-8' },
} as const satisfies Record<string, GatewayReply>;
