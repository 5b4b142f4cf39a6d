/**
 * The whole system on one machine, no AWS account: DynamoDB Local with the tables from the
 * shared schema, moto with the alert topic and a demo service-token secret, and an HTTP
 * endpoint that plays API Gateway in front of the real authorizer and management API handlers.
 * The rotation handler serves "rotate now"; the expiry-alert and cleanup handlers run on a
 * timer, on a clock that can run faster than real time; alerts arrive through an SQS
 * subscription of the topic, as a subscriber would see them.
 *
 * The handlers are the functions/ entries themselves, loaded in this process with the
 * environment CDK would give them (pointed at the emulators). They read it once at load, so
 * one process runs one local stack.
 */
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import * as z from 'zod/mini';
import { DEFAULT_CATALOG } from '../infra/routes';
import { MANAGEMENT_ROUTES } from '../shared/api/router';
import { ADMIN_SCOPE } from '../shared/authz/routes';
import type { RotationEvent } from '../shared/rotation/rotator';
import { TokenStore } from '../shared/store/token-store';
import { displayHint, generateToken, generateTokenId, hashToken } from '../shared/token/format';
import {
  AlertInbox,
  createTopic,
  localSnsClient,
  localSqsClient,
  type ReceivedAlert,
} from './alert-inbox';
import {
  LOCAL_AWS_ENV,
  localDynamoClient,
  startDynamoDbLocal,
  type RunningDynamoDb,
} from './dynamodb-local';
import { LocalGateway, type LambdaHandler } from './gateway';
import { lambdaContext } from './lambda-context';
import { startMoto, type RunningMoto } from './moto';
import { localSecretsClient, RotationDriver } from './rotation-driver';
import { listen, type ControlHandler } from './server';
import { createTables } from './tables';

const DAY_MS = 86_400_000;

export const LOCAL_TABLES = { tokens: 'service-tokens', audit: 'service-tokens-audit' } as const;
export const LOCAL_TOPIC = 'service-tokens-alerts';
export const DEMO_SECRET = 'local/demo-service-token';
export const LOCAL_REST_API_ID = 'local';
export const LOCAL_STAGE = 'v1';

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
  /** Simulated seconds per real second on the schedules' clock (1 = real time). */
  readonly clockRate: number;
  /** Show the handlers' own JSON log lines and EMF metrics (otherwise warnings and errors). */
  readonly verbose: boolean;
  /** Console output: request lines, alerts, schedule runs. */
  readonly print: (line: string) => void;
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
  rotateNow(
    secret?: string,
  ): Promise<{ secretArn: string; versionId: string; tokenId: string; hint: string }>;
  /** Run the expiry-alert and cleanup handlers once, now (on the stack's clock). */
  runSchedules(): Promise<{ time: string; alerts: unknown; cleanup: unknown }>;
  /** Alerts received so far (oldest first). */
  alerts(): readonly ReceivedAlert[];
  stop(): Promise<void>;
}

const handlerModule = z.object({
  handler: z.custom<LambdaHandler>((v) => typeof v === 'function'),
});

async function loadHandler(load: () => Promise<unknown>): Promise<LambdaHandler> {
  return handlerModule.parse(await load()).handler;
}

async function tablesExist(client: DynamoDBClient): Promise<boolean> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  return TableNames.includes(LOCAL_TABLES.tokens) && TableNames.includes(LOCAL_TABLES.audit);
}

let started = false;

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (started)
    throw new Error('One local stack per process: its handlers read the environment once');
  started = true;

  let gateway: LocalGateway | undefined;
  const control = new Map<string, ControlHandler>();
  // Listen first: a taken port fails at once, before any emulator starts.
  const { server, url } = await listen(
    () => gateway,
    { control, onRequest: options.print },
    '127.0.0.1',
    options.port,
  );

  const running: { dynamo?: RunningDynamoDb; moto?: RunningMoto } = {};
  const timers: NodeJS.Timeout[] = [];
  const state = { stopping: false };
  const isStopping = () => state.stopping;
  let inFlight: Promise<unknown> = Promise.resolve();
  const stop = async () => {
    state.stopping = true;
    for (const timer of timers) clearInterval(timer);
    await inFlight.catch(() => undefined);
    await closeServer(server);
    await Promise.all([running.dynamo?.stop(), running.moto?.stop()]);
  };

  try {
    if (options.dataDir !== undefined)
      mkdirSync(join(options.dataDir, 'dynamodb'), { recursive: true });
    const [dynamo, moto] = await Promise.all([
      startDynamoDbLocal(
        options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'dynamodb') },
      ),
      startMoto({ progress: options.print }),
    ]);
    running.dynamo = dynamo;
    running.moto = moto;

    const dynamoClient = localDynamoClient(dynamo.endpoint);
    const resumed = await tablesExist(dynamoClient);
    if (!resumed) await createTables(dynamoClient, LOCAL_TABLES);

    const sns = localSnsClient(moto.endpoint);
    const topicArn = await createTopic(sns, LOCAL_TOPIC);
    const inbox = await AlertInbox.subscribe(
      { sns, sqs: localSqsClient(moto.endpoint) },
      topicArn,
      'local-alert-inbox',
    );

    // What CDK sets on the functions, pointed at the emulators.
    Object.assign(process.env, LOCAL_AWS_ENV, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SNS: moto.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: url,
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
    const driver = new RotationDriver(
      localSecretsClient(moto.endpoint),
      async (event: RotationEvent) => {
        const rotation = loaded.rotation;
        if (rotation === undefined) throw new Error('The rotation handler is not loaded yet');
        return rotation(event, lambdaContext('token-rotation', event.ClientRequestToken));
      },
    );
    const demoSecretArn = await driver.createSecret(
      { name: 'demo-service', owner: 'team-demo', scopes: ['orders:read'], lifetimeDays: 90 },
      { rotateNow: false, name: DEMO_SECRET },
    );
    process.env['TOKEN_SPECS'] = driver.specsJson();

    const [authorizer, management, rotation, expiryAlerts, cleanup] = await Promise.all([
      loadHandler(() => import('../functions/authorizer')),
      loadHandler(() => import('../functions/management-api')),
      loadHandler(() => import('../functions/rotation')),
      loadHandler(() => import('../functions/expiry-alerts')),
      loadHandler(() => import('../functions/cleanup')),
    ]);
    loaded.rotation = rotation;

    const rotateNow = async (secret = DEMO_SECRET) => {
      const secretArn = [...driver.specs.keys()].find(
        (arn) => arn === secret || arn.includes(`:secret:${secret}-`),
      );
      if (secretArn === undefined)
        throw new Error(`No rotated secret named ${secret}; the local stack has ${DEMO_SECRET}`);
      const versionId = await driver.rotate(secretArn, 3);
      const value = await driver.value(secretArn, 'AWSCURRENT');
      if (value.token === undefined || value.tokenId === undefined)
        throw new Error('The rotation left no token in AWSCURRENT');
      return { secretArn, versionId, tokenId: value.tokenId, hint: displayHint(value.token) };
    };
    await rotateNow();

    let adminToken: string | undefined;
    if (!resumed) {
      adminToken = generateToken();
      const now = new Date();
      await new TokenStore({
        client: dynamoClient,
        tokensTable: LOCAL_TABLES.tokens,
        auditTable: LOCAL_TABLES.audit,
      }).create(
        {
          tokenHash: hashToken(adminToken),
          tokenId: generateTokenId(),
          name: 'local-admin',
          owner: 'platform',
          scopes: [ADMIN_SCOPE],
          hint: displayHint(adminToken),
          createdAt: now,
          expiresAt: new Date(now.getTime() + 90 * DAY_MS),
        },
        { actor: 'local:bootstrap' },
      );
    }

    // The schedules' clock: real time at start, then `clockRate` simulated seconds per second.
    const origin = Date.now();
    const clock = () => new Date(origin + (Date.now() - origin) * options.clockRate);
    const scheduleContext = (name: string, id: string): Context => lambdaContext(name, id, 300_000);
    let scheduleQueue: Promise<unknown> = Promise.resolve();
    const runSchedules = () => {
      const run = scheduleQueue.then(async () => {
        const time = clock().toISOString();
        const event = (id: string) => ({
          id,
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          time,
          detail: {},
        });
        const alertsId = randomUUID();
        const alerts = await expiryAlerts(
          event(alertsId),
          scheduleContext('token-expiry-alerts', alertsId),
        );
        const cleanupId = randomUUID();
        const retired = await cleanup(
          event(cleanupId),
          scheduleContext('token-cleanup', cleanupId),
        );
        return { time, alerts, cleanup: retired };
      });
      scheduleQueue = run.catch(() => undefined);
      inFlight = scheduleQueue;
      return run;
    };

    const received: ReceivedAlert[] = [];
    mkdirSync(dirname(options.alertsFile), { recursive: true });
    let draining = false;
    const pollAlerts = async () => {
      if (draining || isStopping()) return;
      draining = true;
      try {
        for (const alert of await inbox.drain()) {
          received.push(alert);
          appendFileSync(
            options.alertsFile,
            `${JSON.stringify({ messageId: alert.messageId, subject: alert.subject, attributes: alert.attributes, message: alert.body })}\n`,
          );
          options.print(`[alert] ${alert.subject ?? alert.raw.slice(0, 100)}`);
        }
      } catch (error) {
        if (!isStopping())
          options.print(`[alert] could not read the alert queue: ${String(error)}`);
      } finally {
        draining = false;
      }
    };
    timers.push(setInterval(() => void pollAlerts(), 250));
    timers.push(
      setInterval(() => {
        if (isStopping()) return;
        runSchedules().catch((error: unknown) => {
          options.print(`[schedules] run failed (the next one retries): ${String(error)}`);
        });
      }, options.scheduleEverySeconds * 1000),
    );

    const secretSchema = z.object({ secret: z.optional(z.string().check(z.minLength(1))) });
    control.set('POST /_local/rotate-now', async (body) => {
      const parsed = secretSchema.safeParse(body);
      if (!parsed.success) throw new Error('Send {"secret": "<name or ARN>"} or nothing');
      return rotateNow(parsed.data.secret);
    });
    control.set('POST /_local/run-schedules', async () => {
      const result = await runSchedules();
      await pollAlerts();
      return result;
    });
    control.set('GET /_local/alerts', () => Promise.resolve(received.map((a) => a.body)));
    control.set('GET /_local/info', () =>
      Promise.resolve({
        url,
        dynamoEndpoint: dynamo.endpoint,
        motoEndpoint: moto.endpoint,
        region: LOCAL_AWS_ENV.AWS_REGION,
        tables: LOCAL_TABLES,
        topicArn,
        secrets: [...driver.specs.keys()],
        alertsFile: options.alertsFile,
      }),
    );

    gateway = new LocalGateway({
      catalog: DEFAULT_CATALOG,
      authorizer,
      integrations: new Map(MANAGEMENT_ROUTES.map((r) => [`${r.method} ${r.path}`, management])),
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
      runSchedules: async () => {
        const result = await runSchedules();
        await pollAlerts();
        return result;
      },
      alerts: () => received,
      stop: async () => {
        await stop();
        dynamoClient.destroy();
        sns.destroy();
        driver.client.destroy();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
