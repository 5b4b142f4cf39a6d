/**
 * The scheduled runs' cost at scale on DynamoDB Local. For
 * each table size (default 50,000 and 200,000 live tokens) it seeds a population with
 * BatchWriteItem (parallel): creation times over two years, 1 % heavy users, 0.1 % due for
 * rotation now, 0.1 % within 30 days of expiry, 0.05 % ended. Then one alert run (expiry pass +
 * policy pass) and one cleanup run, counting on the wire: items read (Query ScannedCount plus
 * one per GetItem), read units (ReturnConsumedCapacity TOTAL), wall time. Alerts go to an
 * in-memory publisher: this measures reads, not SNS.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { localDynamoClient } from '../local/aws/clients';
import { startDynamoDbLocal } from '../local/emulators/dynamodb-local';
import { createTables } from '../local/emulators/tables';
import type { AlertPublisher } from '../shared/alerts/publisher';
import { Cleanup } from '../shared/schedules/cleanup';
import { ExpiryAlerter } from '../shared/schedules/expiry-alerter';
import { PolicyBackfill } from '../shared/schedules/policy-backfill';
import { RotationPolicyRun } from '../shared/schedules/rotation-policy';
import { openStores } from '../shared/store';
import { epochSeconds } from '../shared/store/audit';
import { policyDueItem } from '../shared/store/policy-due';
import { LIVE_PARTITION } from '../shared/store/schema';
import { hashToken } from '../shared/token/format';
import { derivePolicyDue } from '../shared/token/policy-due';
import { DEFAULT_ROTATION_POLICY } from '../shared/token/rotation-policy';
import { DAY_MS } from '../shared/time';
import type { BenchRow } from './report';

const POLICIES = { default: DEFAULT_ROTATION_POLICY, owners: {} };
const PAGE = 25;
/** Queries per alert run: the expiry window, and one per due-index shard. */
const QUERIES = 1 + 16;

interface Wire {
  items: number;
  readUnits: number;
}

/** Ask every read for its consumed capacity, and add up what the reads return. */
function meter(client: DynamoDBClient): Wire {
  const wire = { items: 0, readUnits: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const read =
        context.commandName === 'QueryCommand' || context.commandName === 'GetItemCommand';
      const input: unknown = args.input;
      if (read && typeof input === 'object' && input !== null) {
        Reflect.set(input, 'ReturnConsumedCapacity', 'TOTAL');
      }
      const result = await next(args);
      const output: unknown = result.output;
      if (!read || typeof output !== 'object' || output === null) return result;
      const scanned: unknown = Reflect.get(output, 'ScannedCount');
      const item: unknown = Reflect.get(output, 'Item');
      wire.items += typeof scanned === 'number' ? scanned : item === undefined ? 0 : 1;
      const consumed: unknown = Reflect.get(output, 'ConsumedCapacity');
      const units: unknown =
        typeof consumed === 'object' && consumed !== null
          ? Reflect.get(consumed, 'CapacityUnits')
          : 0;
      wire.readUnits += typeof units === 'number' ? units : 0;
      return result;
    },
    { step: 'initialize', name: 'meterReads' },
  );
  return wire;
}

/** The seeded population, by the counts the target is stated in. */
interface Population {
  dueNow: number;
  nearExpiry: number;
  ended: number;
}

/** One live token item as the store writes it; `i` picks its place in the population. */
function tokenItem(
  i: number,
  size: number,
  now: number,
): { item: Record<string, unknown>; kind: keyof Population | 'other' } {
  const band = i % 10_000; // 0.1 % = 10 in every 10,000
  const kind = band < 10 ? 'dueNow' : band < 20 ? 'nearExpiry' : band < 25 ? 'ended' : 'other';
  const heavy = i % 100 === 99; // 1 %
  const dueAt = now - ((i * 7919) % 3_600_000); // due within the last hour
  const created =
    kind === 'dueNow'
      ? dueAt - (heavy ? 30 : 90) * DAY_MS
      : now - ((i * 104_729) % 730) * DAY_MS - 3_600_000;
  const expires =
    kind === 'nearExpiry'
      ? now + (0.5 + (i % 29)) * DAY_MS
      : kind === 'ended'
        ? now - (1 + (i % 5)) * DAY_MS
        : now + (31 + (i % 700)) * DAY_MS;
  const ageDays = (now - created) / DAY_MS;
  const record = {
    tokenHash: hashToken(`bench-scale-${String(size)}-${String(i)}`),
    tokenId: `tok_${String(i).padStart(16, '0')}`,
    name: `service-${String(i % 500)}`,
    owner: `team-${String(i % 40)}`,
    scopes: ['orders:read'],
    hint: 'sk_…bench',
    status: 'active' as const,
    createdAt: new Date(created).toISOString(),
    expiresAt: new Date(expires).toISOString(),
    useCount: Math.round((heavy ? 20_000 : 50) * Math.max(ageDays, 1)),
  };
  const due = derivePolicyDue(record, POLICIES, new Date(now));
  // Past its due date and not due now: reported by an earlier run, out of the due index.
  const reported = kind !== 'dueNow' && Date.parse(due.policyDueAt) <= now;
  const item = {
    ...record,
    expiryPartition: LIVE_PARTITION,
    endsAt: record.expiresAt,
    ttl: epochSeconds(new Date(expires)) + 90 * 86_400,
    ...(reported
      ? { rotationDueAt: due.policyDueAt }
      : policyDueItem(
          record.tokenHash,
          kind === 'dueNow' ? { policyDueAt: new Date(dueAt).toISOString() } : due,
        )),
  };
  return { item, kind };
}

async function seed(
  client: DynamoDBClient,
  table: string,
  size: number,
  now: number,
): Promise<Population> {
  const population: Population = { dueNow: 0, nearExpiry: 0, ended: 0 };
  let next = 0;
  const workers = Array.from({ length: 8 }, async () => {
    while (next < size) {
      const start = next;
      next = Math.min(next + 25, size);
      let requests: WriteRequest[] = [];
      for (let i = start; i < next; i++) {
        const { item, kind } = tokenItem(i, size, now);
        if (kind !== 'other') population[kind] += 1;
        requests.push({ PutRequest: { Item: marshall(item) } });
      }
      while (requests.length > 0) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
        );
        requests = UnprocessedItems?.[table] ?? [];
      }
    }
  });
  await Promise.all(workers);
  return population;
}

async function measure<T>(wire: Wire, work: () => Promise<T>) {
  wire.items = 0;
  wire.readUnits = 0;
  const started = performance.now();
  const report = await work();
  return { report, items: wire.items, readUnits: wire.readUnits, ms: performance.now() - started };
}

async function benchSize(client: DynamoDBClient, wire: Wire, size: number): Promise<BenchRow[]> {
  const tables = { tokens: `scale-tokens-${String(size)}`, audit: `scale-audit-${String(size)}` };
  await createTables(client, tables);
  const now = Date.now();
  const seeded = performance.now();
  const population = await seed(client, tables.tokens, size, now);
  const seedS = (performance.now() - seeded) / 1000;
  const stores = openStores({
    client,
    tables,
    rotationPolicies: POLICIES,
    now: () => new Date(now),
  });
  const clock = () => new Date(now);
  const publisher: AlertPublisher = { publish: () => Promise.resolve('bench') };
  const context = { actor: 'system:bench' };
  const backfill = new PolicyBackfill({ stores, policies: POLICIES, now: clock, pageSize: 100 });
  const firstBackfill = await measure(wire, () => backfill.run()); // the first deploy: once
  const expiry = await measure(wire, () =>
    new ExpiryAlerter({ stores, publisher, now: clock }).run(context),
  );
  const policy = await measure(wire, () =>
    new RotationPolicyRun({ stores, publisher, policies: POLICIES, now: clock }).run(context),
  );
  const noBackfill = await measure(wire, () => backfill.run());
  const cleanup = await measure(wire, () => new Cleanup({ stores, now: clock }).run(context));
  const alertItems = expiry.items + policy.items + noBackfill.items;
  const alertUnits = expiry.readUnits + policy.readUnits + noBackfill.readUnits;
  const limit = 1.1 * (population.dueNow + population.nearExpiry) + PAGE * QUERIES;
  const section = `schedules @ ${size.toLocaleString('en-US')}`;
  const per = (n: number) => ((n / size) * 1_000_000).toFixed(1);
  return [
    {
      section,
      name: 'population: due now / within 30 days / ended',
      value: population.dueNow,
      unit: 'due',
      note: `${String(population.nearExpiry)} near expiry, ${String(population.ended)} ended; seeded in ${seedS.toFixed(0)} s`,
    },
    {
      section,
      name: 'alert run: items read (expiry + policy + state)',
      value: alertItems,
      unit: 'items',
      target: { op: '<=', value: Math.floor(limit) },
      note: `${per(alertItems)} per million tokens; expiry ${String(expiry.items)}, policy ${String(policy.items)}`,
    },
    {
      section,
      name: 'alert run: read units',
      value: alertUnits,
      unit: 'RRU',
      note: `${per(alertUnits)} per million tokens; ${(expiry.ms + policy.ms).toFixed(0)} ms wall`,
    },
    {
      section,
      name: 'alert run: policy reports sent',
      value: policy.report.reported,
      unit: 'reports',
      target: { op: '>=', value: population.dueNow },
    },
    {
      section,
      name: 'cleanup run: items read',
      value: cleanup.items,
      unit: 'items',
      // Each retirement reads its item consistently before and after its transaction.
      target: { op: '<=', value: Math.floor(3.3 * population.ended) + PAGE * 3 },
      note: `${cleanup.report.expired} retired; ${cleanup.readUnits.toFixed(1)} RRU; ${cleanup.ms.toFixed(0)} ms wall`,
    },
    {
      section,
      name: 'policy backfill (once per policy change): items read',
      value: firstBackfill.items,
      unit: 'items',
      note: `${firstBackfill.readUnits.toFixed(0)} RRU, ${(firstBackfill.ms / 1000).toFixed(0)} s; next run: ${String(noBackfill.items)} item(s)`,
    },
  ];
}

/** The scheduled runs at each table size, on one DynamoDB Local (default 50k and 200k). */
export async function benchSchedulesAtScale(
  sizes: readonly number[] = [50_000, 200_000],
): Promise<BenchRow[]> {
  const dynamo = await startDynamoDbLocal();
  const client = localDynamoClient(dynamo.endpoint);
  const wire = meter(client);
  try {
    const rows: BenchRow[] = [];
    for (const size of sizes) rows.push(...(await benchSize(client, wire, size)));
    return rows;
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}
