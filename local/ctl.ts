/**
 * `npm run local -- <command>`: drive a running local stack (`npm start`) the way you would
 * drive the deployed one: Secrets Manager's "Rotate secret immediately", a schedule run now,
 * the alerts received, and the `tokens` operator CLI pointed at the local tables.
 */
import { DEFAULT_LOCAL_URL } from './stack/local-command';
import { Command } from 'commander';
import * as z from 'zod/mini';
import { runCli } from '../cli/program';
import { LOCAL_AWS_ENV } from './aws/clients';

const infoSchema = z.object({
  dynamoEndpoint: z.string(),
  motoEndpoint: z.string(),
  tables: z.object({ tokens: z.string(), audit: z.string(), registry: z.string() }),
});

const sdkEnvSchema = z.object({
  AWS_ENDPOINT_URL_API_GATEWAY: z.string(),
  AWS_SESSION_TOKEN: z.string(),
});

const program = new Command('npm run local --')
  .description('Commands for a running local stack (npm start).')
  .option('--url <url>', 'the local stack', process.env['LOCAL_STACK_URL'] ?? DEFAULT_LOCAL_URL)
  .enablePositionalOptions();

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const url = program.opts<{ url: string }>().url;
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new Error(`No local stack answers at ${url}: start it with npm start (or pass --url)`);
  }
  const parsed: unknown = await response.json();
  if (!response.ok) {
    const message = z.object({ message: z.string() }).safeParse(parsed);
    throw new Error(
      message.success ? message.data.message : `${url}${path} answered ${String(response.status)}`,
    );
  }
  return parsed;
}

const print = (value: unknown) => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

program
  .command('rotate-now')
  .description('rotate a secret now, as the console\'s "Rotate secret immediately" does')
  .argument('[secret]', 'secret name or ARN (default: the demo secret)')
  .action(async (secret: string | undefined) => {
    print(await call('POST', '/_local/rotate-now', secret === undefined ? {} : { secret }));
  });

program
  .command('run-schedules')
  .description('run the expiry-alert and cleanup schedules once, now')
  .action(async () => {
    print(await call('POST', '/_local/run-schedules'));
  });

program
  .command('alerts')
  .description('the alerts an SNS subscriber of the alert topic has received')
  .action(async () => {
    print(await call('GET', '/_local/alerts'));
  });

program
  .command('events')
  .description('the token lifecycle events a consumer of the event bus has received')
  .action(async () => {
    print(await call('GET', '/_local/events'));
  });

program
  .command('tokens')
  .description(
    'the tokens CLI in break-glass mode (--direct) on the local tables (try: tokens --help)',
  )
  .argument('[args...]', 'arguments for the tokens CLI')
  .passThroughOptions()
  .allowUnknownOption()
  .helpOption(false)
  .action(async (args: string[]) => {
    const info = infoSchema.parse(await call('GET', '/_local/info'));
    // The SDK's credential chain reads the process environment: the emulators' fake keys and
    // the stack's session token. The stack also plays API Gateway and flushes its cache only
    // for a caller with that token, so `emergency-revoke --rest-api-id local` needs it.
    const sdkEnv = sdkEnvSchema.parse(await call('GET', '/_local/sdk-env'));
    // moto answers STS GetCallerIdentity: the operator's identity in the audit trail.
    Object.assign(process.env, LOCAL_AWS_ENV, sdkEnv, { AWS_ENDPOINT_URL_STS: info.motoEndpoint });
    process.exitCode = await runCli(
      [
        '--direct',
        '--endpoint',
        info.dynamoEndpoint,
        '--tokens-table',
        info.tables.tokens,
        '--audit-table',
        info.tables.audit,
        '--registry-table',
        info.tables.registry,
        ...args,
      ],
      {
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        env: process.env,
      },
    );
  });

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
