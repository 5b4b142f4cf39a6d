/**
 * The whole system on one machine, no AWS account: DynamoDB Local with the tables from the
 * shared schema, moto with the alert topic and a demo service-token secret, and HTTP
 * endpoints that play API Gateway: the platform's API in front of the real authorizer and
 * management API handlers, and the example consumer's orders API on a port of its own, in
 * front of an authorizer instance of its own (apis.ts).
 * The rotation handler serves "rotate now"; the expiry-alert and cleanup handlers run on a
 * timer; alerts arrive through an SQS subscription of the topic, as a subscriber sees them.
 *
 * The handlers are the functions/ entries themselves (handlers.ts), loaded in this process
 * with the environment CDK would give them. They read it once at load, so one process runs
 * one local stack.
 */
import { join } from 'node:path';
import type { ReceivedAlert } from '../aws/alert-inbox';
import { openLocalClients } from '../aws/clients';
import type { DeliveredEvent } from '../aws/event-bus';
import { flushTargetKey, type FlushTarget } from '../aws/flush-targets';
import { LocalGateway } from '../aws/gateway';
import { startEmulators, stopEmulators, type RunningEmulators } from '../emulators/start';
import { LocalApis } from './apis';
import { controlRoutes } from './control';
import { AlertFeed, EventFeed, FlushFeed, pollFeeds } from './feeds';
import {
  claimProcess,
  functionEnvironment,
  loadFunctions,
  type FunctionHandlers,
} from './handlers';
import { ORDERS_API, stageKey } from './names';
import type { Reply } from './api-client';
import { provision, type Provisioned } from './provision';
import { rotateNowWith, type RotateNow, type RotateNowResult } from './rotate-now';
import { Schedules, type ScheduleRunResult } from './schedules';
import { issueAdminToken } from './seed';
import { closeGracefully, listen, type ControlHandler, type SdkEnv } from './server';
import { Shutdown } from './shutdown';

export interface LocalStackOptions {
  /** The platform API's port (and API Gateway's management endpoint); 0 picks a free one. */
  readonly port: number;
  /** The example consumer's orders API's port; 0 picks a free one. */
  readonly ordersPort: number;
  /** Keep DynamoDB's data here across restarts; in memory when unset. */
  readonly dataDir?: string;
  /** Where alerts are appended, one JSON object per line. */
  readonly alertsFile: string;
  /** API Gateway's authorizer result cache TTL, as the stack's `authorizerCacheTtl`. */
  readonly authorizerCacheTtlSeconds: number;
  /** How often (real time) the expiry-alert and cleanup runs fire. */
  readonly scheduleEverySeconds: number;
  /** Simulated seconds per real second on the expiry-alert run's clock (1 = real time). */
  readonly clockRate: number;
  /** Show the handlers' own JSON log lines and EMF metrics (otherwise warnings and errors). */
  readonly verbose: boolean;
  /**
   * Without `verbose`, only the handlers' errors, not their warnings (a refused caller is one):
   * for output a person reads step by step, like the demo's.
   * @default false
   */
  readonly quiet?: boolean;
  /** Console output: request lines, alerts, schedule runs. */
  readonly print: (line: string) => void;
  /** Abort a start in progress (Ctrl-C before ready): whatever started is stopped again. */
  readonly signal?: AbortSignal;
}

/**
 * The deployed settings (300 s policy cache) on free ports, schedules out of the way, the
 * handlers quiet: how the benches and the flusher's test start a stack. Alerts go to `dir`.
 */
export function deployedSettings(
  dir: string,
  print: (line: string) => void = () => undefined,
): LocalStackOptions {
  return {
    port: 0,
    ordersPort: 0,
    alertsFile: join(dir, 'alerts.jsonl'),
    authorizerCacheTtlSeconds: 300,
    scheduleEverySeconds: 86_400,
    clockRate: 1,
    verbose: false,
    print,
  };
}

export interface LocalStack {
  /** The platform's API: the management routes, and API Gateway's flush endpoint. */
  readonly url: string;
  /** The example consumer's orders API (ORDERS_API): its own catalog and authorizer. */
  readonly ordersUrl: string;
  /**
   * Every API's gateway by stage, `stageKey(restApiId, stage)` (`local/v1`, `orders/prod`):
   * flush one with `gateways.get(key)?.flushCache()`.
   */
  readonly gateways: ReadonlyMap<string, LocalGateway>;
  readonly dynamoEndpoint: string;
  readonly motoEndpoint: string;
  readonly topicArn: string;
  readonly demoSecretArn: string;
  /** Only on a first start (empty tables): the plaintext, which is never stored. */
  readonly adminToken: string | undefined;
  /** True when the tables already held data (a restart with a data directory). */
  readonly resumed: boolean;
  /** Drive Secrets Manager's four rotation steps for a secret (default: the demo secret). */
  rotateNow(secret?: string): Promise<RotateNowResult>;
  /** Run the expiry-alert and cleanup handlers once, now, and collect the alerts they sent. */
  runSchedules(): Promise<ScheduleRunResult>;
  /** Alerts received so far (oldest first). */
  alerts(): readonly ReceivedAlert[];
  /** Lifecycle events a consumer of the bus has received so far (oldest first). */
  events(): readonly DeliveredEvent[];
  /** Report tokens as found in a public repository: GitHub's signed call to POST /leaks/github. */
  reportLeak(tokens: readonly string[], url: string): Promise<Reply>;
  /** Relay the audit stream now and collect the events it published. */
  relayEvents(): Promise<readonly DeliveredEvent[]>;
  stop(): Promise<void>;
}

/** The listening HTTP endpoints, which answer 503 until `serve` hands them the gateways. */
interface Front {
  readonly url: string;
  readonly ordersUrl: string;
  readonly sdkEnv: SdkEnv;
  readonly control: Map<string, ControlHandler>;
  /** Each local stage by flush target key: where the flush calls of its cache go. */
  readonly flushTargets: Map<string, FlushTarget>;
  readonly shutdown: Shutdown;
  serve(apis: LocalApis): void;
}

/**
 * Start the local stack: listen on `options.port`, start the emulators, create the resources,
 * load the functions, seed, then serve. Stop it with `stop()`; a failed or interrupted start
 * stops whatever it had started before rejecting.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  claimProcess();
  let apis: LocalApis | undefined;
  const control = new Map<string, ControlHandler>();
  const flushTargets = new Map<string, FlushTarget>();
  // Listen first: a taken port fails at once, before any emulator starts.
  const { server, url, sdkEnv } = await listen(
    () => apis?.platform,
    { control, onRequest: options.print, flushTargets },
    '127.0.0.1',
    options.port,
  );
  const servers = [server];
  // No new requests; requests in flight finish. Then timers, the schedule run, emulators.
  const shutdown = new Shutdown(async () => {
    await Promise.all(servers.map((listening) => closeGracefully(listening)));
  });
  const serve = (ready: LocalApis) => {
    apis = ready;
  };
  try {
    // A port of its own, as a hostname of its own in AWS: the same paths, no control plane.
    const orders = await listen(
      () => apis?.orders,
      {
        onRequest: options.print,
        label: `[${stageKey(ORDERS_API.restApiId, ORDERS_API.stage)}] `,
        portOption: '--orders-port',
      },
      '127.0.0.1',
      options.ordersPort,
    );
    servers.push(orders.server);
    return await bringUp(options, {
      url,
      ordersUrl: orders.url,
      sdkEnv,
      control,
      flushTargets,
      shutdown,
      serve,
    });
  } catch (error) {
    await shutdown.stop();
    throw error;
  }
}

/** What a start has brought up before the stack takes requests. */
interface Started {
  readonly emulators: RunningEmulators;
  readonly provisioned: Provisioned;
  readonly functions: FunctionHandlers;
  readonly rotateNow: RotateNow;
  readonly adminToken: string | undefined;
}

/** Emulators, resources on them, the handlers, and the seed data; then the stack runs. */
async function bringUp(options: LocalStackOptions, front: Front): Promise<LocalStack> {
  const { shutdown } = front;
  const checkpoint = () => {
    if (options.signal?.aborted === true) throw new Error('Start interrupted');
  };
  options.print('Starting DynamoDB Local and moto…');
  const emulators = await startEmulators({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    progress: options.print,
  });
  shutdown.add(() => stopEmulators(emulators));
  checkpoint();
  const clients = openLocalClients(emulators.dynamo.endpoint, emulators.moto.endpoint);
  shutdown.add(() => {
    clients.destroy();
    return Promise.resolve();
  });

  const provisioned = await provision(clients);
  const environment = functionEnvironment({
    emulators,
    sdkEnv: front.sdkEnv,
    topicArn: provisioned.topicArn,
    tokenSpecs: provisioned.driver.specsJson(),
    leaks: provisioned.leaks.environment(front.url),
    verbose: options.verbose,
    quiet: options.quiet ?? false,
  });
  const functions = await loadFunctions(environment);
  provisioned.bind(functions);
  checkpoint();

  const rotateNow = rotateNowWith(provisioned.driver);
  await rotateNow();
  const adminToken = provisioned.resumed
    ? undefined
    : await issueAdminToken(provisioned.stores.tokens);
  return run(options, front, { emulators, provisioned, functions, rotateNow, adminToken });
}

/** The feeds and schedules on their timers, the control commands, then the gateway. */
function run(options: LocalStackOptions, front: Front, started: Started): LocalStack {
  const { shutdown } = front;
  const { emulators, provisioned, functions, rotateNow } = started;
  const output = { print: options.print, isStopping: () => shutdown.stopping };
  const alerts = new AlertFeed(provisioned.alertInbox, options.alertsFile, output);
  const events = new EventFeed(provisioned.auditStream, provisioned.eventInbox, output);
  const schedules = new Schedules({
    expiryAlerts: functions.expiryAlerts,
    cleanup: functions.cleanup,
    clockRate: options.clockRate,
    afterRun: () => alerts.poll(),
  });
  const flushes = new FlushFeed(provisioned.flushQueue, output);
  shutdown.add(pollFeeds([alerts, events, flushes], 250));
  shutdown.add(schedules.every(options.scheduleEverySeconds, options.print, output.isStopping));

  const apis = new LocalApis(functions, options.authorizerCacheTtlSeconds);
  const info = {
    url: front.url,
    ordersUrl: front.ordersUrl,
    dynamoEndpoint: emulators.dynamo.endpoint,
    motoEndpoint: emulators.moto.endpoint,
    topicArn: provisioned.topicArn,
  };
  const routes = controlRoutes({
    rotateNow,
    schedules,
    setCacheTtl: (ms) => {
      apis.setCacheTtl(ms);
    },
    alerts,
    events,
    info: {
      ...info,
      secrets: () => [...provisioned.driver.specs.keys()],
      alertsFile: options.alertsFile,
    },
  });
  for (const [route, handler] of routes) front.control.set(route, handler);
  front.control.set(...provisioned.leaks.keysRoute);
  // Each stage's flush calls (the stage flusher's, an emergency revoke's) reach its gateway.
  for (const gateway of apis.byStage.values()) {
    front.flushTargets.set(flushTargetKey('rest', gateway.restApiId, gateway.stage), gateway);
  }
  front.serve(apis);

  return {
    ...info,
    gateways: apis.byStage,
    demoSecretArn: provisioned.demoSecretArn,
    adminToken: started.adminToken,
    resumed: provisioned.resumed,
    rotateNow,
    runSchedules: () => schedules.run(),
    alerts: () => alerts.received,
    events: () => events.received,
    reportLeak: (tokens, url) => provisioned.leaks.report(front.url, tokens, url),
    relayEvents: async () => {
      await events.poll();
      return events.received;
    },
    stop: () => shutdown.stop(),
  };
}
