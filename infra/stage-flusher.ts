import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { FLUSH_EVENT_PATTERN } from '../shared/flush/triggers';
import type { AlertTopic } from './alert-topic';
import { DeadLetterQueue } from './dead-letter-queue';
import { ServiceFunction } from './service-function';

/** The flusher's invocations at once: the lowest SQS maximum concurrency there is. */
const CONCURRENCY = 2;
const FUNCTION_TIMEOUT = Duration.seconds(20);

export interface StageFlusherProps {
  /** The lifecycle bus (LifecycleEvents.bus). */
  readonly bus: IEventBus;
  /** Where the dead-letter queue's alarm notifies. */
  readonly alerts: AlertTopic;
  /** The platform's own API, whose stage is flushed whatever the registry lists. */
  readonly platformApi: IRestApi;
  /** The platform API's stage name. */
  readonly platformStageName: string;
  /**
   * The debounce window: SQS gathers events this long before it invokes the flusher, and a
   * stage is flushed at most once per window per instance. Adds to the revocation bound.
   * @default Duration.seconds(2)
   */
  readonly window?: Duration;
}

/**
 * Reaches every protected stage on revocation: a rule on the lifecycle bus sends TokenRevoked,
 * TokenExpired and TokenGraceEnded to an encrypted queue; the flusher takes them in batches
 * gathered over the window and flushes the authorizer cache of the platform's stage and of
 * every registered stage once per batch (shared/flush). A stage that could not be flushed
 * hands its messages back; after five receives they go to the dead-letter queue, as do events
 * the rule could not deliver.
 *
 * Concurrency: the SQS event source invokes at most two instances (its lowest maximum
 * concurrency), and two are reserved, so the event source is never throttled (a throttled
 * batch would only come back after the visibility timeout). Each instance debounces on its own:
 * at most two flushes of a stage per window, one in the usual case.
 */
export class StageFlusher extends Construct {
  readonly rule: Rule;
  readonly queue: Queue;
  readonly deadLetters: DeadLetterQueue;
  readonly fn: ServiceFunction;
  readonly window: Duration;

  constructor(scope: Construct, id: string, props: StageFlusherProps) {
    super(scope, id);
    this.window = props.window ?? Duration.seconds(2);
    const windowSeconds = this.window.toSeconds({ integral: false });
    if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > 60) {
      throw new Error(`${this.node.path}: window must be whole seconds from 0 to 60`);
    }
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'Revocation events whose stage flushes kept failing',
      alarmTopic: props.alerts.topic,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: 5 },
    });
    this.rule = new Rule(this, 'Rule', {
      eventBus: props.bus,
      description: 'Token stops (revoked, expired, grace ended): flush every protected stage',
      eventPattern: {
        source: FLUSH_EVENT_PATTERN.source,
        detailType: FLUSH_EVENT_PATTERN['detail-type'],
      },
      targets: [
        new SqsQueue(this.queue, {
          deadLetterQueue: this.deadLetters.queue,
          maxEventAge: Duration.hours(1),
          retryAttempts: 20,
        }),
      ],
    });
    this.fn = this.flusherFunction(props);
  }

  /**
   * Give the flusher the API registry it lists stages from: `grant` grants the registry's read
   * to the flusher's role (e.g. `(role) => registry.grantRead(role)`), `environment` tells the
   * handler where the registry is.
   */
  readRegistryWith(
    grant: (grantee: IGrantable) => unknown,
    environment: Readonly<Record<string, string>>,
  ): void {
    grant(this.fn.role);
    for (const [name, value] of Object.entries(environment)) {
      this.fn.function.addEnvironment(name, value);
    }
  }

  private flusherFunction(props: StageFlusherProps): ServiceFunction {
    const { account, partition, region } = Stack.of(this);
    const fn = new ServiceFunction(this, 'Function', {
      entry: join(import.meta.dirname, '../functions/stage-flusher.ts'),
      description: 'Flushes the authorizer cache of every protected stage on revocation',
      timeout: FUNCTION_TIMEOUT,
      reservedConcurrentExecutions: CONCURRENCY,
      environment: {
        REST_API_ID: props.platformApi.restApiId,
        STAGE_NAME: props.platformStageName,
        PLATFORM_ACCOUNT: account,
        FLUSH_WINDOW_SECONDS: String(this.window.toSeconds()),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    fn.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1000,
        maxBatchingWindow: this.window,
        reportBatchItemFailures: true,
        maxConcurrency: CONCURRENCY,
      }),
    );
    // Registered stages are only known at run time, so the flush is allowed on any stage of
    // this region, and on nothing else: DELETE of a stage's authorizer cache is the only
    // DELETE these paths take (REST: FlushStageAuthorizersCache; HTTP APIs:
    // ResetAuthorizersCache), and a caller of this role can do no more than empty a cache.
    const paths = { REST: '/restapis', 'HTTP API': '/apis' };
    fn.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['apigateway:DELETE'],
        resources: Object.values(paths).map(
          (path) => `arn:${partition}:apigateway:${region}::${path}/*/stages/*/cache/authorizers`,
        ),
      }),
    );
    // cdk-nag names the resource as the template has it: the tokens, or a given region (whose
    // partition CDK then writes out too).
    const regionInFinding = Token.isUnresolved(region) ? '<AWS::Region>' : region;
    const partitionInFinding = Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
    for (const [kind, path] of Object.entries(paths)) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partitionInFinding}:apigateway:${regionInFinding}::${path}/*/stages/*/cache/authorizers]`,
        reason: `Registered ${kind} stages are only known at run time (the API registry); the action is DELETE of a stage authorizer cache only, in this region.`,
      });
    }
    return fn;
  }
}
