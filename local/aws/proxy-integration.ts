/**
 * API Gateway's integrations of the REST API: a Lambda proxy integration (a REST proxy event
 * in, a proxy result out) and the mock integrations of the stack's example backends.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { lambdaContext, type LambdaHandler } from './lambda-context';
import type { MatchedRoute } from './route-match';

/** What an integration answers: the HTTP status, headers and body. */
export interface IntegrationResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The request as the integration sees it, with the authorizer's context (null: none ran). */
export interface IntegrationRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly matched: MatchedRoute;
  readonly authorizer: Record<string, string> | null;
  readonly stage: string;
}

const proxyResultSchema = z.object({
  statusCode: z.number(),
  headers: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  body: z.optional(z.string()),
});

const JSON_TYPE = { 'content-type': 'application/json' };

/** The stack's example backends are mock integrations echoing the authorizer's context. */
export function mockIntegration(request: IntegrationRequest): IntegrationResult {
  const { route } = request.matched;
  return {
    status: 200,
    headers: { ...JSON_TYPE },
    body: JSON.stringify({
      route: `${route.method} ${route.path}`,
      tokenId: request.authorizer?.['tokenId'],
      owner: request.authorizer?.['owner'],
      scopes: request.authorizer?.['scopes'],
    }),
  };
}

/** The REST proxy event API Gateway hands a Lambda proxy integration. */
export function proxyEvent(request: IntegrationRequest) {
  const { url } = request;
  const { route, params } = request.matched;
  const query = [...url.searchParams.keys()];
  return {
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
      stage: request.stage,
      resourcePath: route.path,
      httpMethod: request.method,
      authorizer: request.authorizer,
    },
  };
}

/** Call a Lambda proxy integration and turn its proxy result into the HTTP answer. */
export async function invokeProxy(
  integration: LambdaHandler,
  request: IntegrationRequest,
): Promise<IntegrationResult> {
  const event = proxyEvent(request);
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
    };
  } catch {
    // What API Gateway answers when a proxy integration throws or returns a malformed result.
    return { status: 502, headers: { ...JSON_TYPE }, body: '{"message":"Internal server error"}' };
  }
}
