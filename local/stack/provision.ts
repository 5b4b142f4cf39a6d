/**
 * What the local stack creates on the emulators before its functions load: the tables (unless
 * a data directory already holds them), the alert topic and its subscriber queue, the event
 * bus with a consumer's rule and the stage flusher's (its queue, dead-letter queue and event
 * source mapping), the audit stream's event source mapping, and the demo secret.
 */
import { EVENT_SOURCE } from '../../shared/events/lifecycle';
import { openApiRegistry, openStores, type PlatformStores } from '../../shared/store';
import { AlertInbox, createTopic } from '../aws/alert-inbox';
import type { LocalClients } from '../aws/clients';
import { createEventBus, EventInbox, routeToQueue } from '../aws/event-bus';
import { SqsEventSource } from '../aws/sqs-event-source';
import { createQueue } from '../aws/sqs-queue';
import { FLUSH_EVENT_PATTERN } from '../../shared/flush/triggers';
import { lambdaContext } from '../aws/lambda-context';
import { RotationDriver } from '../aws/rotation-driver';
import { isSuccessInsert, StreamPoller } from '../aws/stream-poller';
import { ensureTables } from '../emulators/tables';
import { lateHandler, type FunctionHandlers, type LateHandler } from './handlers';
import {
  LOCAL_EVENT_BUS,
  LOCAL_FLUSH_QUEUE,
  LOCAL_FLUSH_WINDOW_SECONDS,
  LOCAL_TABLES,
  LOCAL_TOPIC,
} from './names';
import { createDemoSecret, registerLocalApis, revokeOrphanedDemoTokens } from './seed';
import { provisionLeakIntake, type LocalLeakIntake } from './leaks';

export interface Provisioned {
  readonly stores: PlatformStores;
  /** True when the tables already held data (a restart with a data directory). */
  readonly resumed: boolean;
  readonly topicArn: string;
  readonly demoSecretArn: string;
  readonly alertInbox: AlertInbox;
  readonly eventInbox: EventInbox;
  readonly auditStream: StreamPoller;
  /** The stage flusher's queue, read as its event source mapping reads it. */
  readonly flushQueue: SqsEventSource;
  readonly driver: RotationDriver;
  /** The leak intake's local signing key and webhook secret. */
  readonly leaks: LocalLeakIntake;
  /** Hand the loaded relay, flusher and rotation handlers to their event sources. */
  bind(functions: FunctionHandlers): void;
}

/** Subscribers of the alert topic and of the lifecycle bus, as a consumer sets them up. */
async function subscribe(clients: LocalClients) {
  const { sns, sqs, eventBridge } = clients;
  const topicArn = await createTopic(sns, LOCAL_TOPIC);
  const alertInbox = await AlertInbox.subscribe({ sns, sqs }, topicArn, 'local-alert-inbox');
  await createEventBus(eventBridge, LOCAL_EVENT_BUS);
  const eventInbox = await EventInbox.subscribe(
    { events: eventBridge, sqs },
    LOCAL_EVENT_BUS,
    'local-event-inbox',
    { source: [EVENT_SOURCE] },
  );
  return { topicArn, alertInbox, eventInbox };
}

/**
 * The stage flusher's rule on the bus, its queue (a short visibility timeout, so a failed
 * flush comes back in seconds here) and dead-letter queue, and the event source on it.
 */
async function flushQueue(clients: LocalClients, flusher: LateHandler) {
  const deadLetters = await createQueue(clients.sqs, `${LOCAL_FLUSH_QUEUE}-dlq`);
  const queue = await createQueue(clients.sqs, LOCAL_FLUSH_QUEUE, {
    VisibilityTimeout: '10',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: 5 }),
  });
  await routeToQueue(
    clients.eventBridge,
    LOCAL_EVENT_BUS,
    LOCAL_FLUSH_QUEUE,
    FLUSH_EVENT_PATTERN,
    queue.arn,
  );
  return new SqsEventSource(
    clients.sqs,
    queue,
    (event) => flusher.invoke(event, lambdaContext('token-stage-flusher')),
    { windowMs: LOCAL_FLUSH_WINDOW_SECONDS * 1000 },
  );
}

/** Everything the functions need to exist before they load. */
export async function provision(clients: LocalClients): Promise<Provisioned> {
  const stores = {
    ...openStores({ client: clients.dynamo, tables: LOCAL_TABLES }),
    apis: openApiRegistry({ client: clients.dynamo, tableName: LOCAL_TABLES.registry }),
  };
  const resumed = await ensureTables(clients.dynamo, LOCAL_TABLES);
  await registerLocalApis(stores.apis);
  const { topicArn, alertInbox, eventInbox } = await subscribe(clients);

  // Lambda's event source mapping for the relay: from the start on new tables, from now on
  // when resumed (the older changes were published when they happened).
  const relay = lateHandler('The lifecycle relay is not loaded yet');
  const auditStream = await StreamPoller.forTable(
    clients.dynamo,
    clients.streams,
    LOCAL_TABLES.audit,
    (event) => relay.invoke(event, lambdaContext('token-lifecycle-events')),
    { filter: isSuccessInsert, startAt: resumed ? 'LATEST' : 'TRIM_HORIZON' },
  );

  const flusher = lateHandler('The stage flusher is not loaded yet');
  const flushSource = await flushQueue(clients, flusher);

  // Secrets Manager invokes the rotation Lambda, which is loaded once TOKEN_SPECS names the
  // secret.
  const rotation = lateHandler('The rotation handler is not loaded yet');
  const driver = new RotationDriver(clients.secrets, (event) =>
    rotation.invoke(event, lambdaContext('token-rotation', event.ClientRequestToken)),
  );
  if (resumed) await revokeOrphanedDemoTokens(stores.tokens);
  const demoSecretArn = await createDemoSecret(driver);
  const leaks = await provisionLeakIntake(clients.secrets);

  return {
    stores,
    resumed,
    topicArn,
    demoSecretArn,
    alertInbox,
    eventInbox,
    auditStream,
    flushQueue: flushSource,
    driver,
    leaks,
    bind: (functions) => {
      relay.bind(functions.relay);
      flusher.bind(functions.stageFlusher);
      rotation.bind(functions.rotation);
    },
  };
}
