/**
 * A team's orders service in a stack of its own: a REST API and an HTTP API, one Lambda
 * backend behind both, each API protected by a service-token authorizer of its own with the
 * routes of ORDERS_ROUTES, each declared once with protect().
 *
 * Imports are the repository's relative paths; an app that installed the package imports the
 * same names from 'service-tokens' instead.
 */
import { Aspects, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  LogGroupLogDestination as HttpLogGroupDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import {
  HttpApiTokenAuthorizer,
  RestApiTokenAuthorizer,
  type ApiRegistryAccess,
  type TokenTableAccess,
} from '../../infra/consumer';
import { TokenLogMasking } from '../../infra/log-masking';
import { DEFAULT_TOKEN_PREFIX } from '../../shared/token/format';
import { ORDERS_ROUTES } from './routes';

export interface OrdersStackProps extends StackProps {
  /**
   * The platform's token table: `serviceTokens.tables` in the same account (as app.ts), or
   * `TokenTables.fromArns({ tokensTableArn, keyArn })` from the platform stack's outputs.
   */
  readonly tables: TokenTableAccess;
  /**
   * The platform's API registry, which each authorizer registers its API, stages and catalog
   * with: `serviceTokens.registry` in the same account (as app.ts), or
   * `ApiRegistry.fromArn(…)` with the platform stack's ApiRegistryServiceToken output.
   */
  readonly registry: ApiRegistryAccess;
}

export class OrdersStack extends Stack {
  readonly restApi: RestApi;
  readonly httpApi: HttpApi;
  readonly backend: NodejsFunction;
  readonly restAuthorizer: RestApiTokenAuthorizer;
  readonly httpAuthorizer: HttpApiTokenAuthorizer;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);
    // The backend's and the APIs' log groups mask tokens too, as the authorizers' do.
    Aspects.of(this).add(new TokenLogMasking(DEFAULT_TOKEN_PREFIX));
    this.backend = ordersBackend(this);
    this.restApi = ordersRestApi(this);
    this.httpApi = ordersHttpApi(this);
    // Each API its own authorizer: a cached answer is then exact for that API's routes.
    this.restAuthorizer = new RestApiTokenAuthorizer(this, 'RestTokens', {
      tables: props.tables,
      registry: props.registry,
      cacheTtl: Duration.minutes(5),
    });
    this.httpAuthorizer = new HttpApiTokenAuthorizer(this, 'HttpTokens', {
      tables: props.tables,
      registry: props.registry,
      cacheTtl: Duration.minutes(5),
    });

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const rest = new LambdaIntegration(this.backend, { allowTestInvoke: false });
    const http = new HttpLambdaIntegration('Backend', this.backend);
    for (const route of ORDERS_ROUTES) {
      this.restAuthorizer.protect(
        this.restApi.root.resourceForPath(route.path),
        route.method,
        rest,
        { scopes: route.scopes, methodOptions: { requestValidator: validator } },
      );
      this.httpAuthorizer.protect(this.httpApi, {
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: http,
        scopes: route.scopes,
      });
    }
  }
}

/** The backend, with a role that may only write its own log group. */
function ordersBackend(stack: Stack): NodejsFunction {
  const logGroup = new LogGroup(stack, 'BackendLogs', {
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(stack, 'BackendRole', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  return new NodejsFunction(stack, 'Backend', {
    entry: join(import.meta.dirname, 'handler.ts'),
    description: 'Orders backend: answers with the caller the token authorizer vouched for',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: 256,
    timeout: Duration.seconds(5),
    role,
    logGroup,
    loggingFormat: LoggingFormat.JSON,
    bundling: { minify: true, target: 'node24', format: OutputFormat.CJS },
  });
}

/** The REST API as cdk-nag asks: access logs, tracing, errors logged. */
function ordersRestApi(stack: Stack): RestApi {
  const api = new RestApi(stack, 'OrdersRest', {
    endpointTypes: [EndpointType.REGIONAL],
    cloudWatchRole: false,
    deployOptions: {
      stageName: 'prod',
      tracingEnabled: true,
      loggingLevel: MethodLoggingLevel.ERROR,
      accessLogDestination: new LogGroupLogDestination(
        new LogGroup(stack, 'RestAccessLogs', { retention: RetentionDays.ONE_MONTH }),
      ),
    },
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason: 'An example: a WAF web ACL is the team’s own choice (associate one with the stage).',
  });
  return api;
}

/** The HTTP API with access logs on its default stage. */
function ordersHttpApi(stack: Stack): HttpApi {
  const api = new HttpApi(stack, 'OrdersHttp', { createDefaultStage: false });
  api.addStage('Stage', {
    stageName: '$default',
    autoDeploy: true,
    accessLogSettings: {
      destination: new HttpLogGroupDestination(
        new LogGroup(stack, 'HttpAccessLogs', { retention: RetentionDays.ONE_MONTH }),
      ),
    },
  });
  return api;
}
