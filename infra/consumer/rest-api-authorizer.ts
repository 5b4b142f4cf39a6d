import { Validations } from 'aws-cdk-lib';
import {
  AuthorizationType,
  TokenAuthorizer,
  type Integration,
  type IResource,
  type IRestApi,
  type Method,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { Route } from '../../shared/authz/routes';
import { stageNamesOf } from './api-registration';
import { restTokenAuthorizer } from '../authorizer-function';
import { DEFAULT_TOKEN_PREFIX } from '../../shared/token/format';
import { ConsumerAuthorizerFunction, type ConsumerAuthorizerProps } from './authorizer-function';

export type RestApiTokenAuthorizerProps = ConsumerAuthorizerProps;

export interface ProtectedMethodOptions {
  /** Any one of these grants the method; an empty list means any valid token. */
  readonly scopes: readonly string[];
  /**
   * Further options of the method (request parameters, validator, responses…); the
   * authorizer and the authorization type are this authorizer's.
   * @default - none
   */
  readonly methodOptions?: Omit<MethodOptions, 'authorizer' | 'authorizationType'>;
}

/**
 * A service-token TOKEN authorizer for one REST API of any stack in the platform's account:
 * its own authorizer function, enforcing the catalog of the methods declared with protect().
 *
 * ```ts
 * const authorizer = new RestApiTokenAuthorizer(this, 'Tokens', { tables, registry });
 * authorizer.protect(api.root.addResource('orders'), 'GET', integration, { scopes: ['orders:read'] });
 * ```
 */
export class RestApiTokenAuthorizer extends Construct {
  readonly authorizer: TokenAuthorizer;
  readonly authorizerFunction: ConsumerAuthorizerFunction;
  private api?: IRestApi;

  constructor(scope: Construct, id: string, props: RestApiTokenAuthorizerProps) {
    super(scope, id);
    this.authorizerFunction = new ConsumerAuthorizerFunction(this, 'Function', props, 'rest');
    this.authorizer = restTokenAuthorizer(
      this,
      'TokenAuthorizer',
      this.authorizerFunction.function,
      props.prefix ?? DEFAULT_TOKEN_PREFIX,
      props.cacheTtl,
    );
  }

  /** The routes protected so far, as the function's ROUTE_SCOPES will hold them. */
  get catalog(): readonly Route[] {
    return this.authorizerFunction.catalog.routes;
  }

  /**
   * Add `httpMethod` on `resource` behind this authorizer, and the route with its scopes to
   * the catalog: the one way to declare a protected method, so the API and the catalog agree.
   * Refuses ANY, a greedy `{proxy+}` path, a bad scope and an ambiguous catalog.
   */
  protect(
    resource: IResource,
    httpMethod: string,
    integration: Integration,
    options: ProtectedMethodOptions,
  ): Method {
    this.checkSameApi(resource.api);
    this.authorizerFunction.catalog.add(httpMethod, resource.path, options.scopes);
    const method = resource.addMethod(httpMethod, integration, {
      ...options.methodOptions,
      authorizationType: AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
    });
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Machine clients authenticate with service tokens via the Lambda token authorizer.',
    });
    return method;
  }

  /** A TOKEN authorizer belongs to one REST API; its catalog describes that API only. */
  private checkSameApi(api: IRestApi): void {
    this.api ??= api;
    this.authorizerFunction.bindApi({
      apiId: api.restApiId,
      stages: () => stageNamesOf(api),
    });
    if (this.api !== api) {
      throw new Error(
        `${this.node.path}: protects ${this.api.node.path} already; create one RestApiTokenAuthorizer per REST API, each with that API's routes`,
      );
    }
  }
}
