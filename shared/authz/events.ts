/**
 * API Gateway authorizer events in, authorizer results out. Supported:
 * - REST API TOKEN authorizer (`type: 'TOKEN'`, the Authorization header as identity source);
 * - REST API REQUEST authorizer (Authorization header);
 * - HTTP API REQUEST authorizer, payload 2.0 with simple responses. Its identity sources (the
 *   cache key) must include `$context.routeKey` as well as the Authorization header: a simple
 *   response is one yes/no, so a cached answer is only correct for the route it was made for.
 */
import * as z from 'zod/mini';
import { allowPolicy, apiStageArn, denyPolicy, type AuthorizerPolicy } from './policy';
import { grantedRoutes, isGranted, routeKey, type Route } from './routes';
import type { Decision } from './token-authorizer';
import { headerValue } from '../headers';
import { joinScopes } from '../token/scope';

const headersSchema = z.nullish(z.record(z.string(), z.optional(z.string())));

const tokenEventSchema = z.object({
  type: z.literal('TOKEN'),
  authorizationToken: z.optional(z.string()),
  methodArn: z.string(),
});

/** REQUEST events carry API Gateway's request id: the correlation id of the decision's logs. */
const requestContextSchema = z.nullish(z.object({ requestId: z.optional(z.string()) }));

const restRequestEventSchema = z.object({
  type: z.literal('REQUEST'),
  methodArn: z.string(),
  headers: headersSchema,
  requestContext: requestContextSchema,
});

const httpRequestEventSchema = z.object({
  version: z.literal('2.0'),
  type: z.literal('REQUEST'),
  routeKey: z.string(),
  headers: headersSchema,
  requestContext: requestContextSchema,
});

interface RequestIdentity {
  readonly authorization?: string;
  /** API Gateway's request id; TOKEN events have none. */
  readonly requestId?: string;
}

export type AuthorizerRequest =
  | (RequestIdentity & { readonly kind: 'rest'; readonly stageArn: string })
  | (RequestIdentity & { readonly kind: 'http'; readonly routeKey: string });

function restRequest(
  methodArn: string,
  authorization: string | undefined,
  requestId?: string,
): AuthorizerRequest | undefined {
  const stageArn = apiStageArn(methodArn);
  if (stageArn === undefined) return undefined;
  return {
    kind: 'rest',
    authorization,
    stageArn,
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/**
 * Undefined when the event is none of the supported shapes (a misconfigured integration).
 * The REST TOKEN shape, the one the stack deploys, is tried first: it is the hot path.
 */
export function parseAuthorizerEvent(event: unknown): AuthorizerRequest | undefined {
  const token = tokenEventSchema.safeParse(event);
  if (token.success) return restRequest(token.data.methodArn, token.data.authorizationToken);
  const http = httpRequestEventSchema.safeParse(event);
  if (http.success) {
    const requestId = http.data.requestContext?.requestId;
    return {
      kind: 'http',
      authorization: headerValue(http.data.headers, 'authorization'),
      routeKey: http.data.routeKey,
      ...(requestId === undefined ? {} : { requestId }),
    };
  }
  const request = restRequestEventSchema.safeParse(event);
  if (!request.success) return undefined;
  return restRequest(
    request.data.methodArn,
    headerValue(request.data.headers, 'authorization'),
    request.data.requestContext?.requestId,
  );
}

export interface SimpleResponse {
  readonly isAuthorized: boolean;
  readonly context?: Record<string, string | number | boolean>;
}

/** `unauthorized` means: throw `Error('Unauthorized')`, which API Gateway turns into a 401. */
export type AuthorizerResponse =
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'policy'; readonly result: AuthorizerPolicy }
  | { readonly kind: 'simple'; readonly result: SimpleResponse };

/**
 * What the backend sees as `$context.authorizer.*`: ids and scopes (space-joined, split back
 * by callerOf), never the token. Undefined when a scope could be mis-split: no context then.
 */
function backendContext(decision: Extract<Decision, { outcome: 'allow' }>) {
  const scopes = joinScopes(decision.record.scopes);
  if (scopes === undefined) return undefined;
  return {
    tokenId: decision.record.tokenId,
    owner: decision.record.owner,
    scopes,
    inGrace: decision.inGrace,
  };
}

export function shapeResponse(
  decision: Decision,
  request: AuthorizerRequest,
  routes: readonly Route[],
): AuthorizerResponse {
  if (decision.outcome === 'unauthorized') return { kind: 'unauthorized' };
  const context = decision.outcome === 'allow' ? backendContext(decision) : undefined;
  if (request.kind === 'http') {
    if (decision.outcome === 'deny' || context === undefined) {
      return { kind: 'simple', result: { isAuthorized: false } };
    }
    const route = routes.find((r) => routeKey(r) === request.routeKey);
    const allowed = route !== undefined && isGranted(route, decision.record.scopes);
    return {
      kind: 'simple',
      result: allowed ? { isAuthorized: true, context } : { isAuthorized: false },
    };
  }
  if (decision.outcome === 'deny' || context === undefined) {
    return {
      kind: 'policy',
      result: denyPolicy(request.stageArn, decision.record?.tokenId ?? 'unknown'),
    };
  }
  return {
    kind: 'policy',
    result: allowPolicy(
      request.stageArn,
      decision.record.tokenId,
      grantedRoutes(routes, decision.record.scopes),
      context,
    ),
  };
}
