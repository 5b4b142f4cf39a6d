/**
 * The whole system on one machine, no AWS account: DynamoDB Local with the tables from the
 * shared schema, moto with the alert topic and a demo service-token secret, and an HTTP
 * endpoint that plays API Gateway in front of the real authorizer and management API handlers.
 * The rotation handler serves "rotate now"; the expiry-alert and cleanup handlers run on a
 * timer; alerts arrive through an SQS subscription of the topic, as a subscriber sees them.
 *
 * The handlers are the functions/ entries themselves, loaded in this process with the
 * environment CDK would give them (pointed at the emulators). They read it once at load, so
 * one process runs one local stack. Each handler takes one event at a time, like one Lambda
 * instance: module state (metric dimensions, log keys) is never shared by two events.
 */
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { DEFAULT_CATALOG } from '../infra/routes';
import { authorizationHeaderPattern } from '../shared/gateway/contract';
import { MANAGEMENT_ROUTES, PUBLIC_ROUTES } from '../shared/api/routes';
import { EVENT_SOURCE, lifecycleDetailSchema } from '../shared/events/lifecycle';
import { ADMIN_SCOPE } from '../shared/authz/routes';
import type { RotationEvent } from '../shared/rotation/rotator';
import type { SecretSpec } from '../shared/rotation/secret-value';
import { openStores, type TokenRepository } from '../shared/store';
import {
  DEFAULT_TOKEN_PREFIX,
  displayHint,
  generateToken,
  generateTokenId,
  hashToken,
} from '../shared/token/format';
import {
  AlertInbox,
  createTopic,
  localSnsClient,
  localSqsClient,
  type ReceivedAlert,
} from './alert-inbox';
import { LOCAL_AWS_ENV, localDynamoClient, startDynamoDbLocal } from './dynamodb-local';
import {
  createEventBus,
  EventInbox,
  localEventBridgeClient,
  type DeliveredEvent,
} from './event-bus';
import { LocalGateway, type LambdaHandler } from './gateway';
import { lambdaContext } from './lambda-context';
import { startMoto } from './moto';
import { localSecretsClient, RotationDriver } from './rotation-driver';
import { closeGracefully, ControlError, listen, type ControlHandler } from './server';
import { isSuccessInsert, localStreamsClient, StreamPoller } from './stream-poller';
import { createTables } from './tables';
import { DAY_MS } from '../shared/time';

export const LOCAL_TABLES = { tokens: 'service-tokens', audit: 'service-tokens-audit' } as const;
export const LOCAL_TOPIC = 'service-tokens-alerts';
export const LOCAL_EVENT_BUS = 'service-tokens-lifecycle';
export const DEMO_SECRET = 'local/demo-service-token';
export const LOCAL_REST_API_ID = 'local';
export const LOCAL_STAGE = 'v1';
const DEMO_SPEC: SecretSpec = {
  name: 'demo-service',
  owner: 'team-demo',
  scopes: ['orders:read'],
  lifetimeDays: 90,
};

export interface LocalStackOptions {
  /** The API's port; 0 picks a free one. */
  readonly port: number;
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
  /** Console output: request lines, alerts, schedule runs. */
  readonly print: (line: string) => void;
  /** Abort a start in progress (Ctrl-C before ready): whatever started is stopped again. */
  readonly signal?: AbortSignal;
}

export interface RotateNowResult {
  readonly secretArn: string;
  readonly versionId: string;
  readonly tokenId: string;
  readonly hint: string;
}

export interface ScheduleRunResult {
  readonly alertsTime: string;
  readonly alerts: unknown;
  readonly cleanup: unknown;
}

export interface LocalStack {
  readonly url: string;
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
  /** Relay the audit stream now and collect the events it published. */
  relayEvents(): Promise<readonly DeliveredEvent[]>;
  stop(): Promise<void>;
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

async function tablesExist(client: DynamoDBClient): Promise<boolean> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  return TableNames.includes(LOCAL_TABLES.tokens) && TableNames.includes(LOCAL_TABLES.audit);
}

/** Start both emulators; if one fails, stop the other before failing. */
async function startEmulators(options: LocalStackOptions) {
  const dataDir = options.dataDir === undefined ? undefined : join(options.dataDir, 'dynamodb');
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const [dynamo, moto] = await Promise.allSettled([
    startDynamoDbLocal(dataDir === undefined ? {} : { dataDir }),
    startMoto({ progress: options.print }),
  ]);
  if (dynamo.status === 'fulfilled' && moto.status === 'fulfilled') {
    return { dynamo: dynamo.value, moto: moto.value };
  }
  await Promise.all(
    [dynamo, moto].flatMap((started) =>
      started.status === 'fulfilled' ? [started.value.stop()] : [],
    ),
  );
  const failed = [dynamo, moto].find((started) => started.status === 'rejected');
  throw failed?.reason instanceof Error ? failed.reason : new Error(String(failed?.reason));
}

/** A first admin token on empty tables; its plaintext is returned once and never stored. */
async function issueAdminToken(store: TokenRepository): Promise<string> {
  const token = generateToken();
  const now = new Date();
  await store.create(
    {
      tokenHash: hashToken(token),
      tokenId: generateTokenId(),
      name: 'local-admin',
      owner: 'platform',
      scopes: [ADMIN_SCOPE],
      hint: displayHint(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + 90 * DAY_MS),
    },
    { actor: 'local:bootstrap' },
  );
  return token;
}

/**
 * moto forgets its secrets on restart, so a resumed stack creates the demo secret afresh; the
 * tokens the previous one held must not stay valid with nobody holding them.
 */
async function revokeOrphanedDemoTokens(store: TokenRepository): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await store.listByOwner(DEMO_SPEC.owner, { limit: 100, cursor });
    for (const record of page.items) {
      if (record.name !== DEMO_SPEC.name) continue;
      if (record.status === 'revoked' || record.status === 'expired') continue;
      await store.revoke(record.tokenHash, {
        actor: 'local:bootstrap',
        reason: 'the local stack restarted; the demo secret was created afresh',
      });
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}

let started = false;

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (started)
    throw new Error('One local stack per process: its handlers read the environment once');
  started = true;

  let gateway: LocalGateway | undefined;
  const control = new Map<string, ControlHandler>();
  // Listen first: a taken port fails at once, before any emulator starts.
  const { server, url, sdkEnv } = await listen(
    () => gateway,
    { control, onRequest: options.print },
    '127.0.0.1',
    options.port,
  );

  const cleanups: (() => Promise<unknown>)[] = [];
  const state = { stopping: false };
  const isStopping = () => state.stopping;
  const checkpoint = () => {
    if (options.signal?.aborted === true) throw new Error('Start interrupted');
  };
  const stop = async () => {
    state.stopping = true;
    // No new requests; requests in flight finish. Then timers, the schedule run, emulators.
    await closeGracefully(server);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    options.print('Starting DynamoDB Local and moto…');
    const { dynamo, moto } = await startEmulators(options);
    cleanups.push(() => Promise.all([dynamo.stop(), moto.stop()]));
    checkpoint();

    const dynamoClient = localDynamoClient(dynamo.endpoint);
    const sns = localSnsClient(moto.endpoint);
    const secrets = localSecretsClient(moto.endpoint);
    const sqs = localSqsClient(moto.endpoint);
    const eventBridge = localEventBridgeClient(moto.endpoint);
    const streams = localStreamsClient(dynamo.endpoint);
    cleanups.push(() => {
      for (const client of [dynamoClient, sns, secrets, sqs, eventBridge, streams]) {
        client.destroy();
      }
      return Promise.resolve();
    });
    const store = openStores({ client: dynamoClient, tables: LOCAL_TABLES }).tokens;
    const resumed = await tablesExist(dynamoClient);
    if (!resumed) await createTables(dynamoClient, LOCAL_TABLES);

    const topicArn = await createTopic(sns, LOCAL_TOPIC);
    const inbox = await AlertInbox.subscribe({ sns, sqs }, topicArn, 'local-alert-inbox');
    await createEventBus(eventBridge, LOCAL_EVENT_BUS);
    const eventInbox = await EventInbox.subscribe(
      { events: eventBridge, sqs },
      LOCAL_EVENT_BUS,
      'local-event-inbox',
      { source: [EVENT_SOURCE] },
    );
    // Lambda's event source mapping for the relay: from the start on new tables, from now on
    // when resumed (the older changes were published when they happened).
    const loadedRelay: { handler?: LambdaHandler } = {};
    const auditStream = await StreamPoller.forTable(
      dynamoClient,
      streams,
      LOCAL_TABLES.audit,
      (event) => {
        const handler = loadedRelay.handler;
        if (handler === undefined) throw new Error('The lifecycle relay is not loaded yet');
        return handler(event, lambdaContext('token-lifecycle-events'));
      },
      { filter: isSuccessInsert, startAt: resumed ? 'LATEST' : 'TRIM_HORIZON' },
    );

    // What CDK sets on the functions, pointed at the emulators.
    Object.assign(process.env, LOCAL_AWS_ENV, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SNS: moto.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
      ...sdkEnv, // API Gateway here, and the session token its emulated flush requires
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.endpoint,
      EVENT_BUS_NAME: LOCAL_EVENT_BUS,
      TOKENS_TABLE_NAME: LOCAL_TABLES.tokens,
      AUDIT_TABLE_NAME: LOCAL_TABLES.audit,
      ROUTE_SCOPES: JSON.stringify(DEFAULT_CATALOG),
      REST_API_ID: LOCAL_REST_API_ID,
      STAGE_NAME: LOCAL_STAGE,
      ALERT_TOPIC_ARN: topicArn,
      CLOCK_SOURCE: 'event',
      USAGE_INTERVAL_SECONDS: '10',
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'INFO' : 'WARN',
      POWERTOOLS_METRICS_DISABLED: options.verbose ? 'false' : 'true',
    });

    // Secrets Manager invokes the rotation Lambda; it is loaded once TOKEN_SPECS names the secret.
    const loaded: { rotation?: LambdaHandler } = {};
    const driver = new RotationDriver(secrets, async (event: RotationEvent) => {
      const rotation = loaded.rotation;
      if (rotation === undefined) throw new Error('The rotation handler is not loaded yet');
      return rotation(event, lambdaContext('token-rotation', event.ClientRequestToken));
    });
    if (resumed) await revokeOrphanedDemoTokens(store);
    const demoSecretArn = await driver.createSecret(DEMO_SPEC, {
      rotateNow: false,
      name: DEMO_SECRET,
    });
    process.env['TOKEN_SPECS'] = driver.specsJson();

    const [authorizer, management, rotation, expiryAlerts, cleanup, relay] = await Promise.all([
      loadHandler(() => import('../functions/authorizer')),
      loadHandler(() => import('../functions/management-api')),
      loadHandler(() => import('../functions/rotation')),
      loadHandler(() => import('../functions/expiry-alerts')),
      loadHandler(() => import('../functions/cleanup')),
      loadHandler(() => import('../functions/lifecycle-events')),
    ]);
    loaded.rotation = rotation;
    loadedRelay.handler = relay;
    checkpoint();

    // Secrets Manager refuses a second rotation of a secret while one is in progress.
    const rotating = new Set<string>();
    const rotateNow = async (secret: string = DEMO_SECRET): Promise<RotateNowResult> => {
      const secretArn = [...driver.specs.keys()].find(
        (arn) => arn === secret || arn.includes(`:secret:${secret}-`),
      );
      if (secretArn === undefined) {
        throw new ControlError(404, `No rotated secret named ${secret}; try ${DEMO_SECRET}`);
      }
      if (rotating.has(secretArn)) {
        throw new ControlError(409, `A rotation of ${secret} is already in progress`);
      }
      rotating.add(secretArn);
      try {
        const versionId = await driver.rotate(secretArn, 3);
        const value = await driver.value(secretArn, 'AWSCURRENT');
        if (value.token === undefined || value.tokenId === undefined) {
          throw new Error('The rotation left no token in AWSCURRENT');
        }
        return { secretArn, versionId, tokenId: value.tokenId, hint: displayHint(value.token) };
      } finally {
        rotating.delete(secretArn);
      }
    };
    await rotateNow();
    const adminToken = resumed ? undefined : await issueAdminToken(store);

    // The expiry-alert run's clock: real time at start, then `clockRate` seconds per second.
    // Cleanup keeps the real clock: it retires tokens, and the authorizer would then refuse
    // tokens that have not ended on its (real) clock.
    const origin = Date.now();
    const alertsClock = () => new Date(origin + (Date.now() - origin) * options.clockRate);
    const scheduled = (time: Date) => ({
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: time.toISOString(),
      detail: {},
    });
    const invokeScheduled = (handler: LambdaHandler, name: string, time: Date) => {
      const event = scheduled(time);
      return handler(event, lambdaContext(name, event.id, 300_000));
    };

    const received: ReceivedAlert[] = [];
    mkdirSync(dirname(options.alertsFile), { recursive: true });
    let draining: Promise<void> = Promise.resolve();
    const drainOnce = async () => {
      for (const alert of await inbox.drain()) {
        received.push(alert);
        const line = {
          messageId: alert.messageId,
          subject: alert.subject,
          attributes: alert.attributes,
          message: alert.body,
        };
        appendFileSync(options.alertsFile, `${JSON.stringify(line)}\n`);
        options.print(`[alert] ${alert.subject ?? alert.raw.slice(0, 100)}`);
      }
    };
    /** Resolves once every alert published before the call has been received. */
    const pollAlerts = () => {
      draining = draining.then(drainOnce).catch((error: unknown) => {
        if (!isStopping())
          options.print(`[alert] could not read the alert queue: ${String(error)}`);
      });
      return draining;
    };

    const receivedEvents: DeliveredEvent[] = [];
    let relaying: Promise<void> = Promise.resolve();
    const relayOnce = async () => {
      await auditStream.drain();
      for (const delivered of await eventInbox.drain()) {
        receivedEvents.push(delivered);
        const detail = lifecycleDetailSchema.safeParse(delivered.detail);
        const about = detail.success
          ? `${detail.data.token.id} (${detail.data.token.name ?? '?'}, ${detail.data.token.owner ?? '?'}) by ${detail.data.actor}`
          : '';
        options.print(`[event] ${delivered['detail-type']} ${about}`);
      }
    };
    /** Resolves once every change made before the call has been published and received. */
    const pollEvents = () => {
      relaying = relaying.then(relayOnce).catch((error: unknown) => {
        if (!isStopping())
          options.print(`[event] could not relay the audit stream: ${String(error)}`);
      });
      return relaying;
    };

    let scheduleRun: Promise<ScheduleRunResult> | undefined;
    const runSchedules = async (): Promise<ScheduleRunResult> => {
      // One run at a time; a run asked for while one is going waits for it, then runs.
      while (scheduleRun !== undefined) await scheduleRun.catch(() => undefined);
      const run = (async () => {
        const alertsTime = alertsClock();
        const alerts = await invokeScheduled(expiryAlerts, 'token-expiry-alerts', alertsTime);
        const retired = await invokeScheduled(cleanup, 'token-cleanup', new Date());
        await pollAlerts();
        return { alertsTime: alertsTime.toISOString(), alerts, cleanup: retired };
      })();
      scheduleRun = run;
      try {
        return await run;
      } finally {
        scheduleRun = undefined;
      }
    };

    const alertTimer = setInterval(() => {
      void pollAlerts();
      void pollEvents();
    }, 250);
    const scheduleTimer = setInterval(() => {
      // A tick while a run is still going is skipped, as a slow schedule would be.
      if (isStopping() || scheduleRun !== undefined) return;
      runSchedules().catch((error: unknown) => {
        options.print(`[schedules] run failed (the next one retries): ${String(error)}`);
      });
    }, options.scheduleEverySeconds * 1000);
    cleanups.push(async () => {
      clearInterval(alertTimer);
      clearInterval(scheduleTimer);
      await scheduleRun?.catch(() => undefined);
      await draining;
      await relaying;
    });

    const secretBody = z.object({ secret: z.optional(z.string().check(z.minLength(1))) });
    control.set('POST /_local/rotate-now', async (body) => {
      const parsed = secretBody.safeParse(body);
      if (!parsed.success) throw new ControlError(400, 'Send {"secret": "<name or ARN>"} or {}');
      return rotateNow(parsed.data.secret);
    });
    control.set('POST /_local/run-schedules', () => runSchedules());
    const ttlBody = z.object({ ttlSeconds: z.int().check(z.gte(0), z.lte(3600)) });
    control.set('POST /_local/authorizer-cache', (body) => {
      const parsed = ttlBody.safeParse(body);
      if (!parsed.success) throw new ControlError(400, 'Send {"ttlSeconds": 0–3600}');
      gateway?.setCacheTtl(parsed.data.ttlSeconds * 1000);
      return Promise.resolve({ ttlSeconds: parsed.data.ttlSeconds });
    });
    control.set('GET /_local/alerts', () => Promise.resolve(received.map((a) => a.body)));
    control.set('GET /_local/events', async () => {
      await pollEvents();
      return receivedEvents.map((e) => ({ 'detail-type': e['detail-type'], detail: e.detail }));
    });
    control.set('GET /_local/info', () =>
      Promise.resolve({
        url,
        pid: process.pid,
        dynamoEndpoint: dynamo.endpoint,
        motoEndpoint: moto.endpoint,
        region: LOCAL_AWS_ENV.AWS_REGION,
        tables: LOCAL_TABLES,
        restApiId: LOCAL_REST_API_ID,
        stage: LOCAL_STAGE,
        topicArn,
        secrets: [...driver.specs.keys()],
        alertsFile: options.alertsFile,
      }),
    );

    gateway = new LocalGateway({
      catalog: DEFAULT_CATALOG,
      authorizer,
      publicRoutes: PUBLIC_ROUTES,
      integrations: new Map(
        [...MANAGEMENT_ROUTES, ...PUBLIC_ROUTES].map((r) => [`${r.method} ${r.path}`, management]),
      ),
      identityValidation: new RegExp(authorizationHeaderPattern(DEFAULT_TOKEN_PREFIX)),
      cacheTtlMs: options.authorizerCacheTtlSeconds * 1000,
      restApiId: LOCAL_REST_API_ID,
      stage: LOCAL_STAGE,
    });

    return {
      url,
      dynamoEndpoint: dynamo.endpoint,
      motoEndpoint: moto.endpoint,
      topicArn,
      demoSecretArn,
      adminToken,
      resumed,
      rotateNow,
      runSchedules,
      alerts: () => received,
      events: () => receivedEvents,
      relayEvents: async () => {
        await pollEvents();
        return receivedEvents;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
