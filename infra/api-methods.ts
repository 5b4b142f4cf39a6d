import { Validations } from 'aws-cdk-lib';
import {
  AuthorizationType,
  MockIntegration,
  PassthroughBehavior,
  type IAuthorizer,
  type Integration,
  type IResource,
  type RequestValidator,
  type RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { Route } from '../shared/authz/routes';
import { PUBLIC_ROUTE_RATE } from './rest-api';

/**
 * The API's methods, one per route of the catalog: behind the token authorizer, or open for a
 * reason cdk-nag is told.
 */
export class CatalogMethods {
  constructor(
    private readonly api: RestApi,
    private readonly authorizer: IAuthorizer,
    private readonly validator: RequestValidator,
  ) {}

  /** `route` behind the authorizer, served by `backend`. */
  addAuthorized(route: Route, backend: Integration): void {
    const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    this.resourceFor(route.path).addMethod(route.method, backend, {
      authorizationType: AuthorizationType.CUSTOM,
      authorizer: this.authorizer,
      requestValidator: this.validator,
      requestParameters: Object.fromEntries(
        params.map((name) => [`method.request.path.${name ?? ''}`, true]),
      ),
      methodResponses: [{ statusCode: '200' }],
    });
  }

  /**
   * A management route without the authorizer (the bootstrap exchange: its token is one the
   * authorizer denies everywhere, and the operation checks it itself). Throttled per method
   * (tokenRestApi), so an unauthenticated caller can spend little of the function's or the
   * table's capacity.
   */
  addPublic(route: Route, backend: Integration): void {
    this.addOpen(
      route,
      backend,
      `${route.method} ${route.path} has no authorizer by design: it authenticates a single-use bootstrap token itself, and is throttled to ${String(PUBLIC_ROUTE_RATE)} requests/s.`,
    );
  }

  /** GET /health: a constant, no data, no authorizer. */
  addHealth(): void {
    this.addOpen(
      { method: 'GET', path: '/health', scopes: [] },
      mockReplying('{"status":"ok"}'),
      'GET /health is a public liveness probe that returns a constant and no data.',
    );
  }

  /** A method without the authorizer, with the reason cdk-nag is told. */
  private addOpen(route: Route, integration: Integration, reason: string): void {
    const method = this.resourceFor(route.path).addMethod(route.method, integration, {
      authorizationType: AuthorizationType.NONE,
      requestValidator: this.validator,
      methodResponses: [{ statusCode: '200' }],
    });
    for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(method).acknowledge({ id: rule, reason });
    }
  }

  private resourceFor(path: string): IResource {
    return this.api.root.resourceForPath(path);
  }
}

/** A mock integration that answers 200 with `body` (a mapping template). */
function mockReplying(body: string): MockIntegration {
  return new MockIntegration({
    passthroughBehavior: PassthroughBehavior.NEVER,
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': body } }],
  });
}
