/**
 * The orders service's backend: one Lambda behind both APIs. It trusts what the token
 * authorizer vouched for, never the Authorization header: the caller's token id, owner and
 * scopes reach it in `requestContext.authorizer` (REST proxy event, `$context.authorizer`, all
 * values strings) or `requestContext.authorizer.lambda` (HTTP API payload 2.0). It answers with
 * that caller; a real service would look up its orders here.
 */
import * as z from 'zod/mini';

/** The context the token authorizer hands the backend (scopes space-separated). */
const callerSchema = z.object({
  tokenId: z.string(),
  owner: z.string(),
  scopes: z.string(),
});

const restEventSchema = z.object({
  httpMethod: z.string(),
  resource: z.string(),
  requestContext: z.object({ authorizer: callerSchema }),
});

const httpEventSchema = z.object({
  version: z.literal('2.0'),
  routeKey: z.string(),
  requestContext: z.object({ authorizer: z.object({ lambda: callerSchema }) }),
});

/** Who called which route, as the authorizer said. */
export interface Caller {
  readonly route: string;
  readonly tokenId: string;
  readonly owner: string;
  readonly scopes: readonly string[];
}

export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The caller of a REST proxy or HTTP API 2.0 event; undefined when no authorizer ran. */
export function callerOf(event: unknown): Caller | undefined {
  const http = httpEventSchema.safeParse(event);
  if (http.success) {
    return caller(http.data.routeKey, http.data.requestContext.authorizer.lambda);
  }
  const rest = restEventSchema.safeParse(event);
  if (rest.success) {
    return caller(
      `${rest.data.httpMethod} ${rest.data.resource}`,
      rest.data.requestContext.authorizer,
    );
  }
  return undefined;
}

function caller(route: string, context: z.infer<typeof callerSchema>): Caller {
  const scopes = context.scopes.split(' ').filter((scope) => scope !== '');
  return { route, tokenId: context.tokenId, owner: context.owner, scopes };
}

const json = (statusCode: number, body: unknown): ProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const handler = (event: unknown): Promise<ProxyResult> => {
  const found = callerOf(event);
  // Fails closed: a route wired without the authorizer has no caller to serve.
  if (found === undefined) {
    return Promise.resolve(
      json(403, {
        message: 'No authorized caller: this route must be behind the token authorizer',
      }),
    );
  }
  return Promise.resolve(json(200, found));
};
