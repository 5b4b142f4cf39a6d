import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  Integration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  LambdaIntegration,
  MockIntegration,
  PassthroughBehavior,
  RequestValidator,
  ResponseType,
  RestApi,
  TokenAuthorizer,
  type IResource,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { MANAGEMENT_ROUTES, PUBLIC_ROUTES } from '../shared/api/routes';
import { catalogConflicts, invalidRouteScopes, type Route } from '../shared/authz/routes';
import { AUDIT_INDEX, TOKEN_INDEX } from '../shared/store/schema';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import { SCOPE_RULE } from '../shared/token/scope';
import { grantKeyVia } from './kms-grants';
import { ServiceFunction } from './service-function';
import {
  authorizationHeaderPattern,
  GATEWAY_REPLIES,
  type GatewayReply,
} from '../shared/gateway/contract';
import { DEFAULT_RETENTION_DAYS } from '../shared/defaults';

/** Requests per second (and burst) a route without the authorizer accepts, stage-wide. */
export const PUBLIC_ROUTE_RATE = 5;
export const PUBLIC_ROUTE_BURST = 10;

export interface TokenApiProps {
  readonly tokensTable: ITable;
  readonly auditTable: ITable;
  readonly tableKey: IKey;
  /** Backend routes; the management API's routes are always added. Scopes are checked at synth. */
  readonly routes: readonly Route[];
  /** Days an ended token's item is kept before TTL deletes it. Default 90. */
  readonly retentionDays?: number;
  readonly tokenPrefix?: string;
  /** API Gateway's per-token policy cache. Bounds how long a revoked token still passes. */
  readonly authorizerCacheTtl?: Duration;
  /** In-process record cache of the authorizer (0 = off); adds to the revocation bound. */
  readonly localCacheTtlSeconds?: number;
  readonly stageName?: string;
  /** A regional WAFv2 web ACL to associate with the stage. */
  readonly webAclArn?: string;
}

/**
 * One JSON line per request. `authorizerRequestId` is the authorizer invocation's Lambda
 * request id (`function_request_id` in its logs), the only link from a request to its
 * decision: TOKEN authorizer events carry no API request id. `principalId` is the token id.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    ip: AccessLogField.contextIdentitySourceIp(),
    requestTime: AccessLogField.contextRequestTime(),
    httpMethod: AccessLogField.contextHttpMethod(),
    resourcePath: AccessLogField.contextResourcePath(),
    status: AccessLogField.contextStatus(),
    protocol: AccessLogField.contextProtocol(),
    responseLength: AccessLogField.contextResponseLength(),
    principalId: AccessLogField.contextAuthorizerPrincipalId(),
    authorizerRequestId: AccessLogField.contextAuthorizerRequestId(),
    authorizerStatus: AccessLogField.contextAuthorizerStatus(),
    authorizerLatency: AccessLogField.contextAuthorizerLatency(),
    integrationLatency: AccessLogField.contextIntegrationLatency(),
    errorMessage: AccessLogField.contextErrorMessageString(),
  }),
);

/**
 * The REST API with the token authorizer in front of every route of the catalog. The example
 * backends are mock integrations that echo what the authorizer passed on.
 */
export class TokenApi extends Construct {
  readonly api: RestApi;
  readonly authorizerFunction: ServiceFunction;
  readonly authorizer: TokenAuthorizer;
  readonly managementFunction: ServiceFunction;
  /** Every route behind the authorizer: the management API's and the backends'. */
  readonly catalog: readonly Route[];

  constructor(scope: Construct, id: string, props: TokenApiProps) {
    super(scope, id);
    const prefix = props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX;
    const stageName = props.stageName ?? 'v1';
    this.catalog = [...MANAGEMENT_ROUTES, ...props.routes];
    const invalid = invalidRouteScopes(this.catalog);
    if (invalid.length > 0) {
      throw new Error(
        `The route catalog names invalid scopes: ${invalid.join('; ')}; a scope ${SCOPE_RULE}`,
      );
    }
    const conflicts = catalogConflicts(this.catalog);
    if (conflicts.length > 0) {
      throw new Error(`The route catalog is ambiguous: ${conflicts.join('; ')}`);
    }

    this.authorizerFunction = new ServiceFunction(this, 'Authorizer', {
      entry: join(import.meta.dirname, '../functions/authorizer.ts'),
      description: 'Validates sk_ service tokens for API Gateway',
      // More memory buys CPU: the authorizer sits on every uncached request.
      memorySize: 1024,
      timeout: Duration.seconds(5),
      environment: {
        TOKENS_TABLE_NAME: props.tokensTable.tableName,
        TOKEN_PREFIX: prefix,
        ROUTE_SCOPES: JSON.stringify(this.catalog),
        LOCAL_CACHE_TTL_SECONDS: String(props.localCacheTtlSeconds ?? 0),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.grantAuthorizerAccess(props.tokensTable, props.tableKey);

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.api = new RestApi(this, 'Api', {
      description: 'Service-token protected API',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        // Routes without the authorizer get a tight per-method limit of their own.
        methodOptions: Object.fromEntries(
          PUBLIC_ROUTES.map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: PUBLIC_ROUTE_RATE,
              throttlingBurstLimit: PUBLIC_ROUTE_BURST,
              metricsEnabled: true,
              loggingLevel: MethodLoggingLevel.ERROR,
            },
          ]),
        ),
      },
    });

    this.authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(300),
      validationRegex: authorizationHeaderPattern(prefix),
    });

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.managementFunction = new ServiceFunction(this, 'Management', {
      entry: join(import.meta.dirname, '../functions/management-api.ts'),
      description: 'Serves the service-token management API',
      timeout: Duration.seconds(29),
      environment: {
        TOKENS_TABLE_NAME: props.tokensTable.tableName,
        AUDIT_TABLE_NAME: props.auditTable.tableName,
        TOKEN_PREFIX: prefix,
        RETENTION_DAYS: String(props.retentionDays ?? DEFAULT_RETENTION_DAYS),
        REST_API_ID: this.api.restApiId,
        STAGE_NAME: stageName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.grantManagementAccess(props, stageName);
    const management = new LambdaIntegration(this.managementFunction.function);
    for (const route of MANAGEMENT_ROUTES) this.addRoute(route, validator, management);
    for (const route of PUBLIC_ROUTES) this.addPublicRoute(route, validator, management);
    for (const route of props.routes) this.addRoute(route, validator);
    this.addHealthRoute(validator);
    this.addGatewayResponses();

    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF is a per-deployment choice: pass webAclArn to associate a web ACL.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Machine clients authenticate with service tokens via the Lambda token authorizer.',
    });
  }

  /**
   * Read one item by key, and update only the usage attributes of an item (fine-grained
   * access control): the authorizer cannot change a token's status, scopes or expiry.
   */
  private grantAuthorizerAccess(table: ITable, key: IKey): void {
    const role = this.authorizerFunction.role;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem'],
        resources: [table.tableArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': ['tokenHash', 'lastUsedAt', 'useCount'],
          },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      }),
    );
    grantKeyVia(role, key, 'dynamodb');
  }

  /**
   * The management API reads and writes token items (conditional transactions), queries the
   * token indexes, appends and reads audit events, and may flush this stage's authorizer cache.
   */
  private grantManagementAccess(props: TokenApiProps, stageName: string): void {
    const role = this.managementFunction.role;
    const allow = (actions: string[], resources: string[]) => {
      role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources }));
    };
    const tokens = props.tokensTable.tableArn;
    const audit = props.auditTable.tableArn;
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tokens]);
    // Not BySecret: only the rotation function's sweep reads it.
    const indexes = Object.values(TOKEN_INDEX).filter((index) => index !== TOKEN_INDEX.bySecret);
    allow(
      ['dynamodb:Query'],
      indexes.map((index) => `${tokens}/index/${index}`),
    );
    allow(['dynamodb:PutItem', 'dynamodb:Query'], [audit]);
    allow(['dynamodb:Query'], [`${audit}/index/${AUDIT_INDEX.byDay}`]);
    grantKeyVia(role, props.tableKey, 'dynamodb');
    const { region, partition } = Stack.of(this);
    allow(
      ['apigateway:DELETE'],
      [
        `arn:${partition}:apigateway:${region}::/restapis/${this.api.restApiId}/stages/${stageName}/cache/authorizers`,
      ],
    );
  }

  private resourceFor(path: string): IResource {
    return this.api.root.resourceForPath(path);
  }

  private addRoute(route: Route, validator: RequestValidator, backend?: LambdaIntegration): void {
    const echo = JSON.stringify({
      route: `${route.method} ${route.path}`,
      tokenId: '$context.authorizer.tokenId',
      owner: '$context.authorizer.owner',
      scopes: '$context.authorizer.scopes',
    });
    const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    this.resourceFor(route.path).addMethod(
      route.method,
      backend ??
        new MockIntegration({
          passthroughBehavior: PassthroughBehavior.NEVER,
          requestTemplates: { 'application/json': '{"statusCode": 200}' },
          integrationResponses: [
            { statusCode: '200', responseTemplates: { 'application/json': echo } },
          ],
        }),
      {
        authorizationType: AuthorizationType.CUSTOM,
        authorizer: this.authorizer,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          params.map((name) => [`method.request.path.${name ?? ''}`, true]),
        ),
        methodResponses: [{ statusCode: '200' }],
      },
    );
  }

  /**
   * A management route without the authorizer (the bootstrap exchange: its token is one the
   * authorizer denies everywhere, and the operation checks it itself). Throttled per method, so
   * an unauthenticated caller can spend little of the function's or the table's capacity.
   */
  private addPublicRoute(
    route: Route,
    validator: RequestValidator,
    backend: LambdaIntegration,
  ): void {
    this.addOpenMethod(
      route,
      backend,
      validator,
      `${route.method} ${route.path} has no authorizer by design: it authenticates a single-use bootstrap token itself, and is throttled to ${String(PUBLIC_ROUTE_RATE)} requests/s.`,
    );
  }

  private addHealthRoute(validator: RequestValidator): void {
    const health = new MockIntegration({
      passthroughBehavior: PassthroughBehavior.NEVER,
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [
        { statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } },
      ],
    });
    this.addOpenMethod(
      { method: 'GET', path: '/health', scopes: [] },
      health,
      validator,
      'GET /health is a public liveness probe that returns a constant and no data.',
    );
  }

  /** A method without the authorizer, with the reason cdk-nag is told. */
  private addOpenMethod(
    route: Route,
    integration: Integration,
    validator: RequestValidator,
    reason: string,
  ): void {
    const method = this.resourceFor(route.path).addMethod(route.method, integration, {
      authorizationType: AuthorizationType.NONE,
      requestValidator: validator,
      methodResponses: [{ statusCode: '200' }],
    });
    for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(method).acknowledge({ id: rule, reason });
    }
  }

  private addGatewayResponses(): void {
    const reply = (id: string, type: ResponseType, gateway: GatewayReply) => {
      const headers = Object.entries(gateway.headers ?? {});
      this.api.addGatewayResponse(id, {
        type,
        statusCode: String(gateway.status),
        ...(headers.length === 0
          ? {}
          : { responseHeaders: Object.fromEntries(headers.map(([k, v]) => [k, `'${v}'`])) }),
        templates: { 'application/json': JSON.stringify({ message: gateway.message }) },
      });
    };
    reply('Unauthorized', ResponseType.UNAUTHORIZED, GATEWAY_REPLIES.unauthorized);
    reply('AccessDenied', ResponseType.ACCESS_DENIED, GATEWAY_REPLIES.accessDenied);
    // The authorizer failed (e.g. the token table was unreachable): fail closed, say so, and
    // let the client retry. API Gateway does not cache this outcome.
    for (const type of [
      ResponseType.AUTHORIZER_FAILURE,
      ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    ]) {
      reply(type.responseType, type, GATEWAY_REPLIES.authorizerFailure);
    }
    reply('NoRoute', ResponseType.MISSING_AUTHENTICATION_TOKEN, GATEWAY_REPLIES.noRoute);
  }
}
