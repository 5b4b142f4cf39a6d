/**
 * API Gateway's Lambda authorizer for an HTTP API (payload 2.0, simple responses) with its
 * result cache: the cache key is the values of the authorizer's identity sources, so an answer
 * is reused for exactly the requests that share them. With HTTP_IDENTITY_SOURCES
 * (`$request.header.Authorization`, `$context.routeKey`), an answer for one route never
 * serves another; with the header alone it would.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { headerValue } from '../../shared/headers';
import { lambdaContext, type LambdaHandler } from './lambda-context';

/** One request as the HTTP API sees it when it runs the authorizer. */
export interface HttpApiRequest {
  /** `GET /orders/{orderId}`: the route the request matched. */
  readonly routeKey: string;
  /** `GET /orders/o-1` */
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the HTTP API makes of the authorizer's answer. */
export type HttpAuthorization =
  | { readonly kind: 'answer'; readonly isAuthorized: boolean; readonly cached: boolean }
  /** An identity source is missing: 401 without calling the authorizer. */
  | { readonly kind: 'unauthorized' }
  /** The authorizer threw or answered something else: 500 (not cached). */
  | { readonly kind: 'failure' };

export interface HttpAuthorizerCacheOptions {
  readonly authorizer: LambdaHandler;
  /** The authorizer's identity sources, e.g. HTTP_IDENTITY_SOURCES. */
  readonly identitySources: readonly string[];
  /** `resultsCacheTtl`; 0 turns the cache off. */
  readonly ttlMs: number;
  /** `arn:aws:execute-api:region:account:apiId/stage` */
  readonly stageArn: string;
  readonly now?: () => number;
}

const simpleSchema = z.object({ isAuthorized: z.boolean() });

/** The value of one identity source for a request; undefined when the request lacks it. */
function sourceValue(source: string, request: HttpApiRequest): string | undefined {
  if (source === '$context.routeKey') return request.routeKey;
  const header = /^\$request\.header\.(.+)$/.exec(source)?.[1];
  if (header !== undefined) return headerValue(request.headers, header);
  throw new Error(`Identity source ${source} is not emulated: use a header or $context.routeKey`);
}

export class HttpAuthorizerCache {
  private readonly cache = new Map<string, { isAuthorized: boolean; until: number }>();
  private readonly now: () => number;
  private calls = 0;

  constructor(private readonly options: HttpAuthorizerCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** How many times the authorizer function ran. */
  get invocations(): number {
    return this.calls;
  }

  async authorize(request: HttpApiRequest): Promise<HttpAuthorization> {
    const values = this.options.identitySources.map((source) => sourceValue(source, request));
    const identity = values.flatMap((value) =>
      value === undefined || value === '' ? [] : [value],
    );
    if (identity.length !== values.length) return { kind: 'unauthorized' };
    const key = JSON.stringify(identity);
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.until > this.now()) {
      return { kind: 'answer', isAuthorized: hit.isAuthorized, cached: true };
    }
    this.cache.delete(key);
    this.calls++;
    let answer: unknown;
    try {
      answer = await this.options.authorizer(
        this.event(request, identity),
        lambdaContext('http-authorizer', randomUUID()),
      );
    } catch (error) {
      const unauthorized = error instanceof Error && error.message === 'Unauthorized';
      return unauthorized ? { kind: 'unauthorized' } : { kind: 'failure' };
    }
    const parsed = simpleSchema.safeParse(answer);
    if (!parsed.success) return { kind: 'failure' };
    if (this.options.ttlMs > 0) {
      this.cache.set(key, {
        isAuthorized: parsed.data.isAuthorized,
        until: this.now() + this.options.ttlMs,
      });
    }
    return { kind: 'answer', isAuthorized: parsed.data.isAuthorized, cached: false };
  }

  /** The payload 2.0 REQUEST event API Gateway sends the authorizer. */
  private event(request: HttpApiRequest, identity: readonly string[]) {
    const requestId = randomUUID();
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `${this.options.stageArn}/${request.method}${request.path}`,
      identitySource: identity,
      routeKey: request.routeKey,
      rawPath: request.path,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
      ),
      requestContext: {
        requestId,
        routeKey: request.routeKey,
        http: { method: request.method, path: request.path },
      },
    };
  }
}
