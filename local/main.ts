/**
 * `npm start`: the whole system on this machine (see stack/start.ts). Prints the URL, a first
 * admin token (once) and example commands; Ctrl-C stops everything.
 */
import { localCommand } from './stack/local-command';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import {
  DEMO_SECRET,
  LOCAL_EVENT_BUS,
  LOCAL_TABLES,
  ORDERS_API,
  PLATFORM_API,
} from './stack/names';
import { startLocalStack, type LocalStack } from './stack/start';

const number = (min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new InvalidArgumentError(`must be a number from ${String(min)} to ${String(max)}`);
  }
  return parsed;
};

const program = new Command('npm start --')
  .description('Run the service-token platform locally: emulators, API, authorizer, schedules.')
  .addOption(
    new Option('--port <port>', "the platform API's port (0: any free port)")
      .default(3000)
      .argParser(number(0, 65_535))
      .env('PORT'),
  )
  .addOption(
    new Option(
      '--orders-port <port>',
      "the example consumer's orders API port (default: --port + 1; 0: any free port)",
    )
      .argParser(number(0, 65_535))
      .env('ORDERS_PORT'),
  )
  .option('--data-dir <dir>', 'keep DynamoDB data here across restarts (default: in memory)')
  .option(
    '--alerts-file <file>',
    'append received alerts here (JSON lines)',
    '.local-data/alerts.jsonl',
  )
  .option(
    '--authorizer-cache-ttl <seconds>',
    "API Gateway's authorizer cache TTL (0: off)",
    number(0, 3600),
    300,
  )
  .option(
    '--schedule-every <seconds>',
    'run the expiry-alert and cleanup schedules this often',
    number(0.2, 86_400),
    60,
  )
  .option(
    '--clock-rate <n>',
    "simulated seconds per real second on the schedules' clock",
    number(1, 1_000_000),
    1,
  )
  .option('--verbose', "show the handlers' JSON logs and metrics", false)
  .parse();

const options = program.opts<{
  port: number;
  ordersPort?: number;
  dataDir?: string;
  alertsFile: string;
  authorizerCacheTtl: number;
  scheduleEvery: number;
  clockRate: number;
  verbose: boolean;
}>();

const began = Date.now();
const print = (line: string) => {
  console.log(line);
};

// Installed before starting, so Ctrl-C during start-up stops whatever already started.
const starting = new AbortController();
let stack: LocalStack | undefined;
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  if (stack === undefined) {
    print(`\n${signal}: stopping the start-up…`);
    starting.abort();
    return;
  }
  print(`\n${signal}: stopping the local stack…`);
  stack
    .stop()
    .then(() => {
      print('Stopped.');
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(`Shutdown failed: ${String(error)}`);
      process.exit(1);
    });
};
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});

try {
  stack = await startLocalStack({
    signal: starting.signal,
    port: options.port,
    // The next port, so 3000 and 3001 by default; with any free port, any free one too.
    ordersPort: options.ordersPort ?? (options.port === 0 ? 0 : options.port + 1),
    ...(options.dataDir === undefined ? {} : { dataDir: resolve(options.dataDir) }),
    alertsFile: resolve(options.alertsFile),
    authorizerCacheTtlSeconds: options.authorizerCacheTtl,
    scheduleEverySeconds: options.scheduleEvery,
    clockRate: options.clockRate,
    verbose: options.verbose,
    print,
  });
} catch (error) {
  if (starting.signal.aborted) {
    print('Stopped before it was ready.');
    process.exit(130);
  }
  console.error(
    `Could not start the local stack: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}

/** What `npm start` prints once the stack is ready: where everything is, and what to try. */
function readyBanner(ready: LocalStack, seconds: string): string {
  const lines = [
    `Local service-token stack ready in ${seconds} s`,
    `  API             ${ready.url}  (the platform's REST API ${PLATFORM_API.restApiId}, stage ${PLATFORM_API.stage}: authorizer, ${String(options.authorizerCacheTtl)} s policy cache, management API)`,
    `  Orders API      ${ready.ordersUrl}  (example consumer's REST API ${ORDERS_API.restApiId}, stage ${ORDERS_API.stage}: its own authorizer and ${String(options.authorizerCacheTtl)} s cache, /orders echo backends)`,
    `  DynamoDB Local  ${ready.dynamoEndpoint}  tables ${LOCAL_TABLES.tokens}, ${LOCAL_TABLES.audit}, ${LOCAL_TABLES.registry} (${options.dataDir === undefined ? 'in memory' : `kept in ${resolve(options.dataDir)}`})`,
    `  moto            ${ready.motoEndpoint}  secret ${DEMO_SECRET} (rotated), topic ${ready.topicArn}`,
    `  schedules       expiry alerts (clock ${String(options.clockRate)}× real time) and cleanup every ${String(options.scheduleEvery)} s`,
    `  alerts          printed here and appended to ${resolve(options.alertsFile)}`,
    `  events          token lifecycle events on the bus ${LOCAL_EVENT_BUS} (audit stream relay), printed here`,
    '',
  ];
  if (ready.adminToken === undefined) {
    lines.push(
      'Resumed from the data directory: the admin token was printed on the first start (only its hash is stored).',
      `Lost it? Issue another: ${localCommand(ready.url, 'tokens create --name admin-2 --owner platform --scope admin')}`,
    );
  } else {
    lines.push(
      'First admin token (shown once; only its SHA-256 hash is stored):',
      `  ${ready.adminToken}`,
    );
  }
  const token = ready.adminToken ?? 'sk_…';
  lines.push(
    '',
    'Try:',
    `  curl -s -H "Authorization: Bearer ${token}" ${ready.url}/me`,
    `  curl -s -H "Authorization: Bearer ${token}" ${ready.ordersUrl}/orders`,
    `  npm run tokens -- login --api-url ${ready.url}   # paste the admin token; then: npm run tokens -- whoami`,
    `  ${localCommand(ready.url, 'tokens list --owner platform')}   # break-glass (--direct) on the local tables`,
    `  ${localCommand(ready.url, 'rotate-now')}        # Secrets Manager's "Rotate secret immediately" for ${DEMO_SECRET}`,
    '',
    'Ctrl-C stops everything.',
  );
  return lines.join('\n');
}

print(readyBanner(stack, ((Date.now() - began) / 1000).toFixed(1)));
