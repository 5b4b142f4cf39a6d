/**
 * What API Gateway itself does before any integration runs, written once for the stack
 * (infra/rest-api.ts configures it) and the local stack (local/ answers the same way).
 */
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
 * gateway responses (infra/rest-api.ts) and the local stack (local/aws/gateway.ts) gives the same answers.
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
