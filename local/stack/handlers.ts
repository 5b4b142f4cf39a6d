/**
 * The functions' handlers in this process: the functions/ entries themselves, loaded with the
 * environment CDK would give them (pointed at the emulators), and invoked one event at a
 * time, like one Lambda instance: module state (metric dimensions, log keys) is never shared
 * by two events.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { LOCAL_AWS_ENV } from '../aws/clients';
import type { LambdaHandler } from '../aws/lambda-context';
import type { RunningEmulators } from '../emulators/start';
import { authorizerConfigSchema, parseConfig } from '../../shared/config';
import {
  LOCAL_ACCOUNT,
  LOCAL_EVENT_BUS,
  LOCAL_FLUSH_WINDOW_SECONDS,
  LOCAL_TABLES,
  ORDERS_API,
  PLATFORM_API,
} from './names';
import type { SdkEnv } from './server';

/** The deployed stack's seven functions, and the example consumer's authorizer, as loaded here. */
export interface FunctionHandlers {
  /** The platform API's authorizer: ROUTE_SCOPES are the management routes. */
  readonly authorizer: LambdaHandler;
  /**
   * The orders API's own authorizer function: the same code with that API's ROUTE_SCOPES, as
   * RestApiTokenAuthorizer deploys it for the example consumer.
   */
  readonly ordersAuthorizer: LambdaHandler;
  readonly management: LambdaHandler;
  readonly rotation: LambdaHandler;
  readonly expiryAlerts: LambdaHandler;
  readonly cleanup: LambdaHandler;
  readonly relay: LambdaHandler;
  readonly stageFlusher: LambdaHandler;
  /** The leak intake (`POST /leaks/github`, `POST /leaks`). */
  readonly leakIntake: LambdaHandler;
}

/** What the functions' environment is made of. */
export interface FunctionEnvironmentInput {
  readonly emulators: RunningEmulators;
  /** API Gateway here, and the session token its emulated flush requires. */
  readonly sdkEnv: SdkEnv;
  readonly topicArn: string;
  /** The rotation function's TOKEN_SPECS: the secrets it rotates, by ARN. */
  readonly tokenSpecs: string;
  /** The leak intake's keys URL, webhook secret and policy (local/stack/leaks.ts). */
  readonly leaks: Record<string, string>;
  /** The handlers' own JSON log lines and EMF metrics, or only warnings and errors. */
  readonly verbose: boolean;
  /** Without `verbose`: errors only, not warnings. */
  readonly quiet: boolean;
}

/** What CDK sets on the functions, pointed at the emulators. */
export function functionEnvironment(input: FunctionEnvironmentInput): Record<string, string> {
  const { dynamo, moto } = input.emulators;
  return {
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SNS: moto.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
    ...input.sdkEnv,
    AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
    EVENT_BUS_NAME: LOCAL_EVENT_BUS,
    TOKENS_TABLE_NAME: LOCAL_TABLES.tokens,
    AUDIT_TABLE_NAME: LOCAL_TABLES.audit,
    REGISTRY_TABLE_NAME: LOCAL_TABLES.registry,
    ROUTE_SCOPES: JSON.stringify(PLATFORM_API.catalog),
    REST_API_ID: PLATFORM_API.restApiId,
    STAGE_NAME: PLATFORM_API.stage,
    PLATFORM_ACCOUNT: LOCAL_ACCOUNT,
    FLUSH_WINDOW_SECONDS: String(LOCAL_FLUSH_WINDOW_SECONDS),
    ALERT_TOPIC_ARN: input.topicArn,
    TOKEN_SPECS: input.tokenSpecs,
    CLOCK_SOURCE: 'event',
    USAGE_INTERVAL_SECONDS: '10',
    POWERTOOLS_LOG_LEVEL: input.verbose ? 'INFO' : input.quiet ? 'ERROR' : 'WARN',
    POWERTOOLS_METRICS_DISABLED: input.verbose ? 'false' : 'true',
    ...input.leaks,
  };
}

let claimed = false;

/**
 * Claim this process for one local stack, before anything starts: the handlers read the
 * environment once, at load, so a second stack in the same process would run on the first
 * one's configuration.
 */
export function claimProcess(): void {
  if (claimed)
    throw new Error('One local stack per process: its handlers read the environment once');
  claimed = true;
}

const handlerModule = z.object({
  handler: z.custom<LambdaHandler>((v) => typeof v === 'function'),
});

/** One event at a time, as one Lambda instance runs them. */
function oneAtATime(handler: LambdaHandler): LambdaHandler {
  let queue: Promise<unknown> = Promise.resolve();
  return (event, context) => {
    const run = queue.then(() => handler(event, context));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function loadHandler(load: () => Promise<unknown>): Promise<LambdaHandler> {
  return oneAtATime(handlerModule.parse(await load()).handler);
}

/**
 * Apply `environment` and load the seven handlers, and the orders API's authorizer.
 *
 * This is the local stack's one write to `process.env`, on purpose. Each function parses its
 * configuration from `process.env` when its module is first imported (shared/config.ts
 * parseConfig), as a Lambda does at cold start; there is no other way to hand it one. So the
 * environment is built as a plain value first (functionEnvironment, all of it known by then)
 * and applied here, immediately before the imports, rather than piece by piece as the
 * emulators come up.
 */
export async function loadFunctions(
  environment: Record<string, string>,
): Promise<FunctionHandlers> {
  Object.assign(process.env, environment);
  const [
    authorizer,
    ordersAuthorizer,
    management,
    rotation,
    expiryAlerts,
    cleanup,
    relay,
    stageFlusher,
    leakIntake,
  ] = await Promise.all([
    loadHandler(() => import('../../functions/authorizer')),
    loadHandler(async () => ({
      handler: (await import('../../functions/authorizer')).authorizerHandler(
        // Another function, another configuration: the same variables but its API's catalog.
        parseConfig(authorizerConfigSchema, {
          ...environment,
          ROUTE_SCOPES: JSON.stringify(ORDERS_API.catalog),
        }),
      ),
    })),
    loadHandler(() => import('../../functions/management-api')),
    loadHandler(() => import('../../functions/rotation')),
    loadHandler(() => import('../../functions/expiry-alerts')),
    loadHandler(() => import('../../functions/cleanup')),
    loadHandler(() => import('../../functions/lifecycle-events')),
    loadHandler(() => import('../../functions/stage-flusher')),
    loadHandler(() => import('../../functions/leak-intake')),
  ]);
  return {
    authorizer,
    ordersAuthorizer,
    management,
    rotation,
    expiryAlerts,
    cleanup,
    relay,
    stageFlusher,
    leakIntake,
  };
}

/** A handler that emulated services hold before it is loaded; see lateHandler. */
export interface LateHandler {
  readonly invoke: LambdaHandler;
  bind(handler: LambdaHandler): void;
}

/**
 * A stand-in for a handler that is loaded later. The stream poller and the rotation driver
 * must exist before the handlers load (the poller's position and the demo secret, which the
 * rotation function's TOKEN_SPECS names, come first); until `bind`, a call fails with
 * `notLoaded`.
 */
export function lateHandler(notLoaded: string): LateHandler {
  let bound: LambdaHandler | undefined;
  return {
    invoke: async (event: unknown, context: Context) => {
      if (bound === undefined) throw new Error(notLoaded);
      return bound(event, context);
    },
    bind: (handler) => {
      bound = handler;
    },
  };
}
