/**
 * API Gateway's part of the deployed REST API, for the local stack: match the request to a
 * route of the catalog, call the TOKEN authorizer with the Authorization header (or answer from
 * the policy cache, keyed by that header, for the cache TTL), evaluate the returned IAM policy
 * against the request's method ARN, then call the route's integration with a REST proxy event
 * carrying the authorizer's context. Gateway responses (401, 403, 503, 404) are the stack's own
 * (GATEWAY_REPLIES), so a client sees the same answers here as in AWS.
 */
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { wildcardMatches, type Route } from '../shared/authz/routes';
import { headerValue } from '../shared/headers';
import { GATEWAY_REPLIES, type GatewayReply } from '../shared/gateway/contract';
import { lambdaContext } from './lambda-context';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface GatewayRequest {
  readonly method: string;
  /** Path and query string, e.g. `/tokens?owner=team-a`. */
  readonly url: string;
  /** Header names in any case; repeated headers already joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
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

const policySchema = z.object({
  principalId: z.string(),
  policyDocument: z.object({
    Statement: z.array(
      z.object({
        Effect: z.enum(['Allow', 'Deny']),
        Action: z.union([z.string(), z.array(z.string())]),
        Resource: z.union([z.string(), z.array(z.string())]),
      }),
    ),
  }),
  context: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
});

type Policy = z.infer<typeof policySchema>;

const proxyResultSchema = z.object({
  statusCode: z.number(),
  headers: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  body: z.optional(z.string()),
});

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const asList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM evaluation of an authorizer policy: an explicit Deny wins, then any Allow, else deny. */
export function policyAllows(policy: Policy, methodArn: string): boolean {
  const matching = policy.policyDocument.Statement.filter(
    (s) =>
      asList(s.Action).some((a) => wildcardMatches(a, 'execute-api:Invoke')) &&
      asList(s.Resource).some((r) => wildcardMatches(r, methodArn)),
  );
  return !matching.some((s) => s.Effect === 'Deny') && matching.some((s) => s.Effect === 'Allow');
}

/**
 * The catalog route for a concrete path, as API Gateway picks a resource: segment by segment,
 * a literal segment wins over a `{parameter}`.
 */
export function matchRoute(
  catalog: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  // Throws URIError on bad percent-encoding; the caller answers 400.
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  let best: { route: Route; params: Record<string, string>; literals: string } | undefined;
  for (const route of catalog) {
    if (route.method !== method) continue;
    const parts = route.path.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = '';
    const fits = parts.every((part, i) => {
      const value = segments[i] ?? '';
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name === undefined) {
        literals += '1';
        return part === value;
      }
      literals += '0';
      params[name] = value;
      return value !== '';
    });
    if (fits && (best === undefined || literals > best.literals))
      best = { route, params, literals };
  }
  return best === undefined ? undefined : { route: best.route, params: best.params };
}

function reply(gateway: GatewayReply, authorizer: GatewayResponse['authorizer']): GatewayResponse {
  return {
    status: gateway.status,
    headers: { 'content-type': 'application/json', ...(gateway.headers ?? {}) },
    body: JSON.stringify({ message: gateway.message }),
    authorizer,
  };
}

export class LocalGateway {
  private readonly cache = new Map<string, { policy: Policy; until: number }>();
  private readonly now: () => number;
  private cacheTtlMs: number;

  constructor(private readonly options: GatewayOptions) {
    this.now = options.now ?? Date.now;
    this.cacheTtlMs = options.cacheTtlMs;
  }

  /** Change the cache TTL, as redeploying the authorizer with another TTL would (flushes). */
  setCacheTtl(ms: number): void {
    this.cacheTtlMs = ms;
    this.cache.clear();
  }

  /** FlushStageAuthorizersCache: drop every cached policy. Returns how many there were. */
  flushCache(): number {
    const size = this.cache.size;
    this.cache.clear();
    return size;
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

    // API Gateway does not call a TOKEN authorizer when its identity source is missing or
    // fails the identity validation expression.
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined || !this.options.identityValidation.test(authorization)) {
      return reply(GATEWAY_REPLIES.unauthorized, 'none');
    }
    const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${this.options.restApiId}/${this.options.stage}/${request.method}${url.pathname}`;
    const authorized = await this.authorize(authorization, methodArn);
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
    { route, params }: { route: Route; params: Record<string, string> },
    context: Record<string, string> | null,
    via: GatewayResponse['authorizer'],
  ): Promise<GatewayResponse> {
    const integration = this.options.integrations.get(`${route.method} ${route.path}`);
    if (integration === undefined) {
      // The stack's example backends are mock integrations echoing the authorizer's context.
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          route: `${route.method} ${route.path}`,
          tokenId: context?.['tokenId'],
          owner: context?.['owner'],
          scopes: context?.['scopes'],
        }),
        authorizer: via,
      };
    }
    const query = [...url.searchParams.keys()];
    const event = {
      resource: route.path,
      path: url.pathname,
      httpMethod: request.method,
      headers: request.headers,
      queryStringParameters:
        query.length === 0 ? null : Object.fromEntries(url.searchParams.entries()),
      multiValueQueryStringParameters:
        query.length === 0
          ? null
          : Object.fromEntries(query.map((key) => [key, url.searchParams.getAll(key)])),
      pathParameters: Object.keys(params).length === 0 ? null : params,
      stageVariables: null,
      body: request.body ?? null,
      isBase64Encoded: false,
      requestContext: {
        requestId: randomUUID(),
        stage: this.options.stage,
        resourcePath: route.path,
        httpMethod: request.method,
        authorizer: context,
      },
    };
    try {
      const result = proxyResultSchema.parse(
        await integration(event, lambdaContext('token-management', event.requestContext.requestId)),
      );
      return {
        status: result.statusCode,
        headers: Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
        ),
        body: result.body ?? '',
        authorizer: via,
      };
    } catch {
      // What API Gateway answers when a proxy integration throws or returns a malformed result.
      return {
        status: 502,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Internal server error"}',
        authorizer: via,
      };
    }
  }

  private async authorize(
    authorization: string,
    methodArn: string,
  ): Promise<
    | { kind: 'policy'; policy: Policy; cached: boolean }
    | { kind: 'unauthorized' }
    | { kind: 'failure' }
  > {
    const hit = this.cache.get(authorization);
    if (hit !== undefined && hit.until > this.now()) {
      return { kind: 'policy', policy: hit.policy, cached: true };
    }
    this.cache.delete(authorization);
    let result: unknown;
    try {
      result = await this.options.authorizer(
        { type: 'TOKEN', authorizationToken: authorization, methodArn },
        lambdaContext('token-authorizer', randomUUID()),
      );
    } catch (error) {
      // Only this exact message means 401; any other error is an authorizer failure (503).
      const unauthorized = error instanceof Error && error.message === 'Unauthorized';
      return unauthorized ? { kind: 'unauthorized' } : { kind: 'failure' };
    }
    const policy = policySchema.safeParse(result);
    if (!policy.success) return { kind: 'failure' };
    if (this.cacheTtlMs > 0) {
      this.cache.set(authorization, { policy: policy.data, until: this.now() + this.cacheTtlMs });
    }
    return { kind: 'policy', policy: policy.data, cached: false };
  }
}
