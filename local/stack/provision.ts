/**
 * What the local stack creates on the emulators before its functions load: the tables (unless
 * a data directory already holds them), the alert topic and its subscriber queue, the event
 * bus and a consumer's rule, the audit stream's event source mapping, and the demo secret.
 */
import { EVENT_SOURCE } from '../../shared/events/lifecycle';
import { openApiRegistry, openStores, type PlatformStores } from '../../shared/store';
import { AlertInbox, createTopic } from '../aws/alert-inbox';
import type { LocalClients } from '../aws/clients';
import { createEventBus, EventInbox } from '../aws/event-bus';
import { lambdaContext } from '../aws/lambda-context';
import { RotationDriver } from '../aws/rotation-driver';
import { isSuccessInsert, StreamPoller } from '../aws/stream-poller';
import { ensureTables } from '../emulators/tables';
import { lateHandler, type FunctionHandlers } from './handlers';
import { LOCAL_EVENT_BUS, LOCAL_TABLES, LOCAL_TOPIC } from './names';
import { createDemoSecret, registerLocalApis, revokeOrphanedDemoTokens } from './seed';

export interface Provisioned {
  readonly stores: PlatformStores;
  /** True when the tables already held data (a restart with a data directory). */
  readonly resumed: boolean;
  readonly topicArn: string;
  readonly demoSecretArn: string;
  readonly alertInbox: AlertInbox;
  readonly eventInbox: EventInbox;
  readonly auditStream: StreamPoller;
  readonly driver: RotationDriver;
  /** Hand the loaded relay and rotation handlers to the poller and the driver. */
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

  // Secrets Manager invokes the rotation Lambda, which is loaded once TOKEN_SPECS names the
  // secret.
  const rotation = lateHandler('The rotation handler is not loaded yet');
  const driver = new RotationDriver(clients.secrets, (event) =>
    rotation.invoke(event, lambdaContext('token-rotation', event.ClientRequestToken)),
  );
  if (resumed) await revokeOrphanedDemoTokens(stores.tokens);
  const demoSecretArn = await createDemoSecret(driver);

  return {
    stores,
    resumed,
    topicArn,
    demoSecretArn,
    alertInbox,
    eventInbox,
    auditStream,
    driver,
    bind: (functions) => {
      relay.bind(functions.relay);
      rotation.bind(functions.rotation);
    },
  };
}
