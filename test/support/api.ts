/**
 * Drive the management API the way API Gateway does: REST proxy events with the authorizer's
 * context for a calling token, through `handleRequest`, against the real repositories.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { matchRoute } from '../../local/aws/route-match';
import { handleRequest } from '../../shared/api/router';
import { ROUTE_DOCS } from '../../shared/api/route-docs';
import {
  TokenService,
  type CacheFlusher,
  type TokenServiceDeps,
} from '../../shared/api/token-service';
import type { TokenRecord } from '../../shared/token/record';

export interface ApiCall {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  /** A raw body string, sent as is (for malformed JSON). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface ApiReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** Who calls: the authorizer's context for a token, and its plaintext when the test has it. */
export type ApiCaller = Pick<TokenRecord, 'tokenId' | 'owner' | 'scopes'> & {
  readonly plaintext?: string;
};

/** The proxy event API Gateway sends for `METHOD /path` (concrete path, e.g. /tokens/tok_x). */
export function proxyEvent(
  method: string,
  path: string,
  caller: ApiCaller | undefined,
  call: ApiCall = {},
) {
  // The resource template API Gateway would pick (/tokens/{id}, /tokens/exchange, …).
  const matched = matchRoute(ROUTE_DOCS, method, path);
  const params = matched?.params ?? {};
  return {
    httpMethod: method,
    resource: matched?.route.path ?? path,
    path,
    pathParameters: Object.keys(params).length === 0 ? null : params,
    queryStringParameters: call.query ?? null,
    headers: {
      'content-type': 'application/json',
      // API Gateway passes the header the authorizer read on to the backend.
      ...(caller?.plaintext === undefined ? {} : { authorization: `Bearer ${caller.plaintext}` }),
      ...call.headers,
    },
    body: call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body)),
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      authorizer:
        caller === undefined
          ? null
          : {
              principalId: caller.tokenId,
              tokenId: caller.tokenId,
              owner: caller.owner,
              scopes: caller.scopes.join(' '),
              inGrace: 'false',
            },
    },
  };
}

const responseSchema = z.object({
  statusCode: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});

export function apiClient(
  stores: TokenServiceDeps['stores'],
  options: { now?: () => Date; cache?: CacheFlusher; pageSize?: number } = {},
) {
  const service = new TokenService({
    stores,
    now: options.now ?? (() => new Date()),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
  return async (
    caller: ApiCaller | undefined,
    method: string,
    path: string,
    call: ApiCall = {},
  ): Promise<ApiReply> => {
    const { response } = await handleRequest(proxyEvent(method, path, caller, call), service);
    const parsed = responseSchema.parse(response);
    return {
      status: parsed.statusCode,
      headers: parsed.headers,
      body: z.record(z.string(), z.unknown()).parse(JSON.parse(parsed.body)),
      text: parsed.body,
    };
  };
}
