/**
 * `npm run load`: the local stack under 200 concurrent connections (autocannon), in one run:
 * - a bare endpoint without the authorizer (`GET /health`) on the same server, for scale;
 * - `GET /orders` with the authorizer on every request (policy cache off): the real handler,
 *   a consistent GetItem on DynamoDB Local, the IAM evaluation;
 * - `GET /orders` with the deployed 300 s policy cache;
 * - `POST /tokens` (the management API writing a token and its audit event each time), after
 *   which every 201 must have exactly one token and one `token.created` audit event.
 * Any error, timeout, unexpected status or lost audit event fails the run (exit code 1).
 * The handlers run like one Lambda instance each (one event at a time), so these are figures
 * for one local instance on the emulators, not for AWS.
 */
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, field } from '../local/stack/api-client';
import { localDynamoClient } from '../local/aws/clients';
import { LOCAL_TABLES } from '../local/stack/names';
import { deployedSettings, startLocalStack } from '../local/stack/start';
import { openStores } from '../shared/store';

const CONNECTIONS = 200;
const READS = 20_000;
const WRITES = 1_000;

interface LoadRow {
  readonly name: string;
  readonly result: autocannon.Result;
  readonly expectedStatus: number;
}

function run(url: string, options: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, timeout: 30, ...options });
}

const scratch = mkdtempSync(join(tmpdir(), 'load-'));
const stack = await startLocalStack(deployedSettings(scratch));
const failures: string[] = [];
try {
  const api = apiClient(stack.url);
  const admin = stack.adminToken ?? '';
  const setCacheTtl = async (ttlSeconds: number) => {
    const response = await fetch(`${stack.url}/_local/authorizer-cache`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds }),
    });
    if (!response.ok) throw new Error(`setting the cache TTL answered ${String(response.status)}`);
  };
  // One reader token per connection.
  const readers: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const created = await api(admin, 'POST', '/tokens', {
      name: `load-reader-${String(i)}`,
      owner: 'team-load',
      scopes: ['orders:read'],
    });
    readers.push(field(created, 'token'));
  }
  const rows: LoadRow[] = [];
  rows.push({
    name: 'GET /health (no authorizer)',
    expectedStatus: 200,
    result: await run(`${stack.url}/health`, { amount: READS }),
  });
  // The authorizer on every request: the cache off, each connection with its own token.
  await setCacheTtl(0);
  rows.push({
    name: 'GET /orders, authorizer every request',
    expectedStatus: 200,
    result: await run(`${stack.ordersUrl}/orders`, {
      amount: READS,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: {
              ...request.headers,
              authorization: `Bearer ${readers[Math.floor(Math.random() * readers.length)] ?? ''}`,
            },
          }),
        },
      ],
    }),
  });
  await setCacheTtl(300);
  rows.push({
    name: 'GET /orders, policy cached (300 s)',
    expectedStatus: 200,
    result: await run(`${stack.ordersUrl}/orders`, {
      amount: READS,
      headers: { authorization: `Bearer ${readers[0] ?? ''}` },
    }),
  });
  rows.push({
    name: 'POST /tokens (token + audit event)',
    expectedStatus: 201,
    result: await run(`${stack.url}/tokens`, {
      amount: WRITES,
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'load-writer', owner: 'team-load', scopes: ['orders:read'] }),
    }),
  });

  console.log(
    `Node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${String(cpus().length)} cores); ${String(CONNECTIONS)} connections; local stack on DynamoDB Local and moto`,
  );
  console.log(
    '| load | requests | req/s | p50 ms | p99 ms | errors | timeouts | unexpected status |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const { result } = row;
    const unexpected =
      row.expectedStatus === 201 ? result.non2xx + result['2xx'] - WRITES : result.non2xx;
    console.log(
      `| ${row.name} | ${String(result.requests.total)} | ${result.requests.average.toFixed(0)} | ${String(result.latency.p50)} | ${String(result.latency.p99)} | ${String(result.errors)} | ${String(result.timeouts)} | ${String(unexpected)} |`,
    );
    if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
      failures.push(
        `${row.name}: ${String(result.errors)} errors, ${String(result.timeouts)} timeouts, ${String(result.non2xx)} non-2xx`,
      );
    }
  }

  // No lost audit events: every 201 has its token and its token.created event.
  const stores = openStores({
    client: localDynamoClient(stack.dynamoEndpoint),
    tables: LOCAL_TABLES,
  });
  const written = rows.at(-1)?.result['2xx'] ?? 0;
  let writers = 0;
  let audited = 0;
  let cursor: string | undefined;
  do {
    const page = await stores.tokens.listByOwner('team-load', { limit: 100, cursor });
    for (const record of page.items) {
      if (record.name !== 'load-writer') continue;
      writers++;
      const events = await stores.audit.listByTarget(record.tokenId);
      audited += events.items.filter((e) => e.action === 'token.created').length;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  console.log(
    `\nPOST /tokens: ${String(written)} answered 201; ${String(writers)} tokens stored; ${String(audited)} token.created audit events.`,
  );
  if (written !== WRITES || writers !== written || audited !== written) {
    failures.push(
      `audit: ${String(written)} created, ${String(writers)} stored, ${String(audited)} audited`,
    );
  }
} finally {
  await stack.stop();
  rmSync(scratch, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`Load run failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
