/**
 * The schedules' cost on a large table (DynamoDB Local, alerts to SNS on moto): 100,000 tokens,
 * of which 100 end within the 30-day alert horizon and 50 have already ended. Items read are
 * summed from the Query responses on the wire (ScannedCount), not taken from the runners.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createTopic } from '../local/aws/alert-inbox';
import { localSnsClient, localDynamoClient } from '../local/aws/clients';
import { startDynamoDbLocal } from '../local/emulators/dynamodb-local';
import { startMoto } from '../local/emulators/moto';
import { createTables } from '../local/emulators/tables';
import { SnsAlertPublisher } from '../shared/alerts/publisher';
import { Cleanup } from '../shared/schedules/cleanup';
import { ExpiryAlerter } from '../shared/schedules/expiry-alerter';
import { LIVE_PARTITION } from '../shared/store/schema';
import { epochSeconds } from '../shared/store/audit';
import { openStores } from '../shared/store';
import { generateTokenId, hashToken } from '../shared/token/format';
import type { TokenRecord } from '../shared/token/record';
import type { BenchRow } from './report';

const TABLE_SIZE = 100_000;
const NEAR_EXPIRY = 100;
const ENDED = 50;
const DAY_MS = 86_400_000;

export async function benchSchedules(): Promise<BenchRow[]> {
  const [dynamo, moto] = await Promise.all([startDynamoDbLocal(), startMoto()]);
  const client = localDynamoClient(dynamo.endpoint);
  const sns = localSnsClient(moto.endpoint);
  try {
    const tables = { tokens: 'bench-schedules-tokens', audit: 'bench-schedules-audit' };
    await createTables(client, tables);
    const now = new Date();
    const seeded = performance.now();
    await seed(client, tables.tokens, now);
    const seedSeconds = (performance.now() - seeded) / 1000;
    const scanned = countScanned(client);
    const stores = openStores({ client, tables });
    const publisher = new SnsAlertPublisher(sns, await createTopic(sns, 'bench-alerts'));
    const alerter = new ExpiryAlerter({ stores, publisher, now: () => now });
    const context = { actor: 'system:bench' };

    const timed = async <T>(run: () => Promise<T>) => {
      scanned.count = 0;
      const started = performance.now();
      const report = await run();
      return { report, ms: performance.now() - started, itemsRead: scanned.count };
    };
    const first = await timed(() => alerter.run(context));
    const repeat = await timed(() => alerter.run(context));
    const cleanup = await timed(() => new Cleanup({ stores, now: () => now }).run(context));

    const section = 'schedules';
    const sentFirst = Object.values(first.report.sent).reduce((a, b) => a + b, 0);
    const sentRepeat = Object.values(repeat.report.sent).reduce((a, b) => a + b, 0);
    const table = `${TABLE_SIZE.toLocaleString('en-US')} tokens`;
    return [
      {
        section,
        name: `alert run: items read (${table}, ${String(NEAR_EXPIRY)} within 30 days)`,
        value: first.itemsRead,
        unit: 'items',
        target: { op: '<=', value: 110 },
        note: `${String(sentFirst)} alerts sent; seeding took ${seedSeconds.toFixed(0)} s`,
      },
      {
        section,
        name: 'alert run: alerts sent',
        value: sentFirst,
        unit: 'alerts',
        target: { op: '>=', value: NEAR_EXPIRY },
        note: 'one per token within 30 days',
      },
      {
        section,
        name: 'alert run: wall time (100 alerts published)',
        value: first.ms,
        unit: 'ms',
        note: 'lease + SNS Publish + confirm with audit, 25 at a time',
      },
      {
        section,
        name: 'alert run repeated: items read / wall time',
        value: repeat.itemsRead,
        unit: 'items',
        note: `${repeat.ms.toFixed(0)} ms, ${String(sentRepeat)} alerts sent`,
      },
      {
        section,
        name: `cleanup run: items read (${String(ENDED)} ended)`,
        value: cleanup.itemsRead,
        unit: 'items',
        // Each page after the first also resolves its cursor (one id-index item).
        target: { op: '<=', value: ENDED + 10 },
        note: `${cleanup.ms.toFixed(0)} ms; 1 extra item per page resolves the cursor`,
      },
      {
        section,
        name: 'cleanup run: tokens retired',
        value: cleanup.report.expired,
        unit: 'tokens',
        target: { op: '>=', value: ENDED },
      },
    ];
  } finally {
    client.destroy();
    sns.destroy();
    await Promise.all([dynamo.stop(), moto.stop()]);
  }
}

/** Sum ScannedCount over every Query the client makes: the items DynamoDB read for them. */
function countScanned(client: DynamoDBClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output: unknown = result.output;
      if (context.commandName === 'QueryCommand' && typeof output === 'object' && output !== null) {
        const scannedCount: unknown = Reflect.get(output, 'ScannedCount');
        if (typeof scannedCount === 'number') counter.count += scannedCount;
      }
      return result;
    },
    { step: 'initialize', name: 'countScanned' },
  );
  return counter;
}

/**
 * Write the table directly with BatchWriteItem: creating 100,000 tokens through the store (one
 * transaction with an audit event each) would take minutes. The items carry exactly what the
 * store writes for a live token (its record, the expiry index keys and the TTL).
 */
async function seed(client: DynamoDBClient, table: string, now: Date): Promise<void> {
  const items = Array.from({ length: TABLE_SIZE }, (_, i) => {
    const days =
      i < NEAR_EXPIRY
        ? 0.5 + (i * 29) / NEAR_EXPIRY // 0.5 to 29.5 days: every threshold is represented
        : i < NEAR_EXPIRY + ENDED
          ? -1 - (i % 10) // ended in the last days, not yet cleaned up
          : 45 + (i % 300); // far from expiry
    const expiresAt = new Date(now.getTime() + days * DAY_MS).toISOString();
    const record: TokenRecord = {
      tokenHash: hashToken(`bench-token-${String(i)}`),
      tokenId: generateTokenId(),
      name: `service-${String(i % 500)}`,
      owner: `team-${String(i % 40)}`,
      scopes: ['orders:read'],
      hint: 'sk_…bench',
      status: 'active',
      createdAt: new Date(now.getTime() - 60 * DAY_MS).toISOString(),
      expiresAt,
    };
    return {
      ...record,
      expiryPartition: LIVE_PARTITION,
      endsAt: expiresAt,
      ttl: epochSeconds(new Date(expiresAt)) + 90 * 86_400,
    };
  });
  const batches: (typeof items)[] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const workers = Array.from({ length: 8 }, async () => {
    for (let batch = batches.pop(); batch !== undefined; batch = batches.pop()) {
      let requests = batch.map((item) => ({ PutRequest: { Item: marshall(item) } }));
      while (requests.length > 0) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
        );
        requests = (UnprocessedItems?.[table] ?? []).flatMap((r) =>
          r.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: r.PutRequest.Item } }],
        );
      }
    }
  });
  await Promise.all(workers);
}
