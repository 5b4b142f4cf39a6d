import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  LoggingFormat,
  Runtime,
  Tracing,
  type Function as LambdaFunction,
  type IDestination,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerFunction } from './handler-function';

/** The Lambda runtime every function of the platform uses; the local toolchain matches it. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

export interface ServiceFunctionProps {
  /** Path of the handler module (functions/*.ts); the packaged library ships its bundle. */
  readonly entry: string;
  readonly handler?: string;
  readonly description?: string;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly logRetention?: RetentionDays;
  readonly reservedConcurrentExecutions?: number;
  /** Asynchronous invocations only: where an event goes once its retries are used up. */
  readonly onFailure?: IDestination;
  readonly retryAttempts?: number;
  /**
   * Resolve stack traces through the bundle's source map (`--enable-source-maps`). Node reads
   * the map when the module loads: about 10 % of the authorizer's cold load, measured by
   * `npm run bench`, so the hot-path function turns it off (its `.map` still ships, to resolve
   * a trace offline).
   * @default true
   */
  readonly sourceMaps?: boolean;
}

/**
 * One way to build a Lambda function here: Node 24 on arm64, a minified esbuild bundle with
 * source maps (from source in this repository, prebundled in the package: handler-function.ts),
 * JSON logs into its own log group with a retention, active X-Ray tracing, and a
 * role that may write only to that log group. Callers add exactly the grants the function
 * needs (`table.grantReadData(fn.function)`).
 *
 * The AWS SDK is bundled (`bundleAwsSDK`): the deployed code then runs the SDK version pinned
 * in package-lock.json and exercised by the tests, not whatever version the Lambda runtime
 * ships, and a minified tree-shaken client loads faster than the runtime's full SDK.
 */
export class ServiceFunction extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${Stack.of(this).stackName}/${id}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = handlerFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts,
      environment: {
        ...(props.sourceMaps === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        ...props.environment,
      },
    });
    // Tracing.ACTIVE adds xray:PutTraceSegments/PutTelemetryRecords on "*" to the role.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS requires "*".',
    });
  }
}
