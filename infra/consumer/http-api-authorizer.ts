import type {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteIntegration,
} from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Construct } from 'constructs';
import type { Route } from '../../shared/authz/routes';
import { stageNamesOf } from './api-registration';
import {
  ConsumerAuthorizerFunction,
  DEFAULT_CACHE_TTL,
  type ConsumerAuthorizerProps,
} from './authorizer-function';

export type HttpApiTokenAuthorizerProps = ConsumerAuthorizerProps;

export interface ProtectedRoutesOptions {
  /** The route path, e.g. `/orders/{orderId}`. */
  readonly path: string;
  /** The methods at `path`, each a route of its own (`GET /orders/{orderId}`). */
  readonly methods: readonly HttpMethod[];
  readonly integration: HttpRouteIntegration;
  /** Any one of these grants the routes; an empty list means any valid token. */
  readonly scopes: readonly string[];
}

/**
 * The cache key of the authorizer's answers. A simple response is one yes or no, so it is only
 * correct for the route it was given for: the route key is part of the key.
 */
export const HTTP_IDENTITY_SOURCES = ['$request.header.Authorization', '$context.routeKey'];

/**
 * A service-token REQUEST authorizer (payload 2.0, simple responses) for one HTTP API of any
 * stack in the platform's account: its own authorizer function, enforcing the catalog of the
 * routes declared with protect().
 *
 * ```ts
 * const authorizer = new HttpApiTokenAuthorizer(this, 'Tokens', { tables, registry });
 * authorizer.protect(api, { path: '/orders', methods: [HttpMethod.GET], integration, scopes: ['orders:read'] });
 * ```
 */
export class HttpApiTokenAuthorizer extends Construct {
  readonly authorizer: HttpLambdaAuthorizer;
  readonly authorizerFunction: ConsumerAuthorizerFunction;
  private api?: HttpApi;

  constructor(scope: Construct, id: string, props: HttpApiTokenAuthorizerProps) {
    super(scope, id);
    this.authorizerFunction = new ConsumerAuthorizerFunction(this, 'Function', props, 'http');
    this.authorizer = new HttpLambdaAuthorizer(
      'TokenAuthorizer',
      this.authorizerFunction.function.function,
      {
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        identitySource: HTTP_IDENTITY_SOURCES,
        resultsCacheTtl: props.cacheTtl ?? DEFAULT_CACHE_TTL,
      },
    );
  }

  /** The routes protected so far, as the function's ROUTE_SCOPES will hold them. */
  get catalog(): readonly Route[] {
    return this.authorizerFunction.catalog.routes;
  }

  /**
   * Add the routes `methods` × `path` to `httpApi` behind this authorizer, and each with its
   * scopes to the catalog: the one way to declare a protected route, so the API and the
   * catalog agree. Refuses ANY, a greedy `{proxy+}` path, a bad scope and an ambiguous catalog.
   */
  protect(httpApi: HttpApi, options: ProtectedRoutesOptions): HttpRoute[] {
    this.checkSameApi(httpApi);
    if (options.methods.length === 0) {
      throw new Error(`${this.node.path}: ${options.path} names no method; list its methods`);
    }
    for (const method of options.methods) {
      this.authorizerFunction.catalog.add(method, options.path, options.scopes);
    }
    return httpApi.addRoutes({
      path: options.path,
      methods: [...options.methods],
      integration: options.integration,
      authorizer: this.authorizer,
    });
  }

  /** An HTTP Lambda authorizer belongs to one HTTP API; its catalog describes that API only. */
  private checkSameApi(api: HttpApi): void {
    this.api ??= api;
    this.authorizerFunction.bindApi({ apiId: api.apiId, stages: () => stageNamesOf(api) });
    if (this.api !== api) {
      throw new Error(
        `${this.node.path}: protects ${this.api.node.path} already; create one HttpApiTokenAuthorizer per HTTP API, each with that API's routes`,
      );
    }
  }
}
