/**
 * API Gateway's part of the deployed REST API, for the local stack: match the request to a
 * route of the catalog (route-match.ts), call the TOKEN authorizer through its policy cache
 * and evaluate the returned IAM policy against the request's method ARN (token-authorizer.ts),
 * then call the route's integration with a REST proxy event carrying the authorizer's context
 * (proxy-integration.ts). Gateway responses (401, 403, 503, 404) are the stack's own
 * (GATEWAY_REPLIES), so a client sees the same answers here as in AWS.
 */
import type { Route } from '../../shared/authz/routes';
import { headerValue } from '../../shared/headers';
import { GATEWAY_REPLIES, type GatewayReply } from '../../shared/gateway/contract';
import type { LambdaHandler } from './lambda-context';
import {
  invokeProxy,
  mockIntegration,
  type IntegrationRequest,
  type IntegrationResult,
} from './proxy-integration';
import { matchRoute, type MatchedRoute } from './route-match';
import { policyAllows, TokenAuthorizer } from './token-authorizer';

export interface GatewayRequest {
  readonly method: string;
  /** Path and query string, e.g. `/tokens?owner=team-a`. */
  readonly url: string;
  /** Header names in any case; repeated headers already joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export interface GatewayResponse extends IntegrationResult {
  /** How the authorizer took part: not at all, called, or answered from the cache. */
  readonly authorizer: 'none' | 'called' | 'cached';
}

export interface GatewayOptions {
  readonly catalog: readonly Route[];
  /** Routes with no authorizer in front (the stack's authorization NONE methods). */
  readonly publicRoutes?: readonly Route[];
  readonly authorizer: LambdaHandler;
  /** Lambda proxy integrations by route (`GET /tokens`); other routes echo, like the stack's mocks. */
  readonly integrations: ReadonlyMap<string, LambdaHandler>;
  /** The authorizer's identity validation expression (authorizationHeaderPattern). */
  readonly identityValidation: RegExp;
  /** API Gateway's authorizer result cache TTL; 0 turns the cache off. */
  readonly cacheTtlMs: number;
  readonly restApiId: string;
  readonly stage: string;
  readonly now?: () => number;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function reply(gateway: GatewayReply, authorizer: GatewayResponse['authorizer']): GatewayResponse {
  return {
    status: gateway.status,
    headers: { 'content-type': 'application/json', ...(gateway.headers ?? {}) },
    body: JSON.stringify({ message: gateway.message }),
    authorizer,
  };
}

export class LocalGateway {
  private readonly authorizer: TokenAuthorizer;

  constructor(private readonly options: GatewayOptions) {
    this.authorizer = new TokenAuthorizer(
      options.authorizer,
      options.cacheTtlMs,
      options.now ?? Date.now,
    );
  }

  /** The REST API id and stage this gateway plays: FlushStageAuthorizersCache names them. */
  get restApiId(): string {
    return this.options.restApiId;
  }

  get stage(): string {
    return this.options.stage;
  }

  /** Change the cache TTL, as redeploying the authorizer with another TTL would (flushes). */
  setCacheTtl(ms: number): void {
    this.authorizer.setCacheTtl(ms);
  }

  /** FlushStageAuthorizersCache: drop every cached policy. Returns how many there were. */
  flushCache(): number {
    return this.authorizer.flush();
  }

  async handle(request: GatewayRequest): Promise<GatewayResponse> {
    // Concatenated, not resolved against a base: `//host/path` must stay a path.
    const url = new URL(`http://localhost${request.url.startsWith('/') ? '' : '/'}${request.url}`);
    if (request.method === 'GET' && url.pathname === '/health') {
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"status":"ok"}',
        authorizer: 'none',
      };
    }
    let matched;
    try {
      matched = matchRoute(
        [...this.options.catalog, ...(this.options.publicRoutes ?? [])],
        request.method,
        url.pathname,
      );
    } catch {
      return reply(GATEWAY_REPLIES.badRequest, 'none');
    }
    if (matched === undefined) return reply(GATEWAY_REPLIES.noRoute, 'none');
    if (this.options.publicRoutes?.includes(matched.route) === true) {
      return this.integrate(request, url, matched, null, 'none');
    }
    return this.authorized(request, url, matched);
  }

  /** A route behind the authorizer: identity source, policy, IAM evaluation, integration. */
  private async authorized(
    request: GatewayRequest,
    url: URL,
    matched: MatchedRoute,
  ): Promise<GatewayResponse> {
    // API Gateway does not call a TOKEN authorizer when its identity source is missing or
    // fails the identity validation expression.
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined || !this.options.identityValidation.test(authorization)) {
      return reply(GATEWAY_REPLIES.unauthorized, 'none');
    }
    const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${this.options.restApiId}/${this.options.stage}/${request.method}${url.pathname}`;
    const authorized = await this.authorizer.authorize(authorization, methodArn);
    if (authorized.kind !== 'policy') {
      return reply(
        authorized.kind === 'unauthorized'
          ? GATEWAY_REPLIES.unauthorized
          : GATEWAY_REPLIES.authorizerFailure,
        'called',
      );
    }
    const via = authorized.cached ? 'cached' : 'called';
    if (!policyAllows(authorized.policy, methodArn))
      return reply(GATEWAY_REPLIES.accessDenied, via);

    const context: Record<string, string> = {
      principalId: authorized.policy.principalId,
      ...Object.fromEntries(
        Object.entries(authorized.policy.context ?? {}).map(([k, v]) => [k, String(v)]),
      ),
    };
    return this.integrate(request, url, matched, context, via);
  }

  /** Call the route's integration with a REST proxy event (or echo, like the stack's mocks). */
  private async integrate(
    request: GatewayRequest,
    url: URL,
    matched: MatchedRoute,
    authorizer: Record<string, string> | null,
    via: GatewayResponse['authorizer'],
  ): Promise<GatewayResponse> {
    const { route } = matched;
    const integration = this.options.integrations.get(`${route.method} ${route.path}`);
    const input: IntegrationRequest = {
      method: request.method,
      url,
      headers: request.headers,
      body: request.body,
      matched,
      authorizer,
      stage: this.options.stage,
    };
    const result =
      integration === undefined ? mockIntegration(input) : await invokeProxy(integration, input);
    return { ...result, authorizer: via };
  }
}
