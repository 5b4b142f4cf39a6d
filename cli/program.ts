/**
 * `tokens`: the operator CLI. It talks to the token tables directly with the usual AWS
 * credential chain (`--region`, `--profile`, or the environment) and applies the same rules,
 * validation and audit trail as the management API, acting as an admin named `cli:<user>`.
 *
 * This file is the wiring: the global options, the context every command is given, and the
 * error → exit code mapping. The commands live in cli/commands/, one file per family.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Command, CommanderError, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { failureOf } from '../shared/api/errors';
import type { Caller } from '../shared/api/access';
import { TokenService } from '../shared/api/token-service';
import { openApiRegistry, openStores } from '../shared/store';
import { operatorActor } from './args';
import { registerApiCommands } from './commands/apis';
import { registerAuditCommands } from './commands/audit';
import { registerBootstrapCommands } from './commands/bootstrap';
import { registerEmergencyCommands } from './commands/emergency';
import { registerMaintenanceCommands } from './commands/maintenance';
import { registerRequestCommands } from './commands/requests';
import { registerScanCommand } from './commands/scan';
import { registerTokenCommands } from './commands/tokens';
import { CliError, type CliContext, type CliIo, type GlobalOptions, type Session } from './context';

export { CliError, type CliIo } from './context';

/** The command families, in the order `--help` lists them. */
const COMMAND_FAMILIES = [
  registerTokenCommands,
  registerEmergencyCommands,
  registerAuditCommands,
  registerApiCommands,
  registerBootstrapCommands,
  registerRequestCommands,
  registerMaintenanceCommands,
  registerScanCommand,
] as const;

/** The `tokens` program, writing to `io`; commander errors are thrown, not exited on. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('tokens')
    .description('Operate sk_ service tokens: create, list, rotate, revoke, audit, clean up.')
    .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION'))
    .addOption(new Option('--profile <profile>', 'AWS profile of the shared config'))
    .addOption(
      new Option('--endpoint <url>', 'DynamoDB endpoint (e.g. a local emulator)').env(
        'AWS_ENDPOINT_URL_DYNAMODB',
      ),
    )
    .addOption(
      new Option('--tokens-table <name>', 'the tokens table (stack output TokensTableName)').env(
        'TOKENS_TABLE_NAME',
      ),
    )
    .addOption(
      new Option('--audit-table <name>', 'the audit table (stack output AuditTableName)').env(
        'AUDIT_TABLE_NAME',
      ),
    )
    .addOption(
      new Option(
        '--registry-table <name>',
        'the API registry table (stack output ApiRegistryTableName)',
      ).env('REGISTRY_TABLE_NAME'),
    )
    .option('--actor <name>', 'who you are, for the audit trail (default: cli:<os user>)')
    .option('--json', 'print JSON for scripts')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => {
        io.out(text);
      },
      writeErr: (text) => {
        io.err(text);
      },
    })
    .exitOverride();
  const context = cliContext(program, io);
  for (const register of COMMAND_FAMILIES) register(program, context);
  return program;
}

/** The context of one run; the global options are read when an action runs, after parsing. */
function cliContext(program: Command, io: CliIo): CliContext {
  return {
    io,
    session: () => openSession(program.opts<GlobalOptions>(), io.env),
    service: (stores, cache) =>
      new TokenService({
        stores,
        now: () => new Date(),
        ...(cache === undefined ? {} : { cache }),
      }),
    print: (value, human) => {
      const json = program.opts<GlobalOptions>().json;
      io.out(`${json === true ? JSON.stringify(value, null, 2) : human()}\n`);
    },
  };
}

function openSession(options: GlobalOptions, env: CliIo['env']): Session {
  const tokensTable = options.tokensTable ?? env['TOKENS_TABLE_NAME'];
  const auditTable = options.auditTable ?? env['AUDIT_TABLE_NAME'];
  const registryTable = options.registryTable ?? env['REGISTRY_TABLE_NAME'];
  if (tokensTable === undefined || auditTable === undefined || registryTable === undefined) {
    throw new CliError(
      'Give the tables: --tokens-table, --audit-table and --registry-table (or TOKENS_TABLE_NAME, AUDIT_TABLE_NAME and REGISTRY_TABLE_NAME), from the stack outputs',
      2,
    );
  }
  const client = new DynamoDBClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  const stores = {
    ...openStores({ client, tables: { tokens: tokensTable, audit: auditTable } }),
    apis: openApiRegistry({ client, tableName: registryTable }),
  };

  const actor = operatorActor(options.actor ?? userInfo().username);
  // The operator has direct table access, so the CLI acts with the admin scope.
  const caller: Caller = {
    tokenId: actor,
    owner: '-',
    scopes: ['admin'],
    requestId: randomUUID(),
    operator: true,
  };
  return { options, stores, caller };
}

/** Run the CLI; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const failure = explain(error);
    if (failure.message !== '') io.err(`error: ${failure.message}\n`);
    return failure.exitCode;
  }
}

function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof CommanderError) {
    // commander already printed its message (help, version, usage errors).
    return { message: '', exitCode: error.exitCode };
  }
  const failed = failureOf(error);
  return { message: failed.message, exitCode: failed.exitCode };
}
