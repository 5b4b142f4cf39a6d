/**
 * `tokens`: the CLI of the management API. By default it calls the API over HTTPS with the
 * team's own token (`tokens login`), with that token's rights; `--direct` is break-glass on the
 * tables with AWS credentials, acting as an admin named by its IAM identity.
 *
 * This file is the wiring: the global options, the context every command is given, and the
 * error → exit code mapping (./failures.ts). The commands live in cli/commands/.
 */
import { Command, Option } from 'commander';
import type { CacheFlusher } from '../shared/api/token-service';
import { TokenService } from '../shared/api/token-service';
import { directBackend, remoteBackend, type Backend } from './backend';
import { registerApiCommands } from './commands/apis';
import { registerAuditCommands } from './commands/audit';
import { registerBootstrapCommands } from './commands/bootstrap';
import { registerEmergencyCommands } from './commands/emergency';
import { registerMaintenanceCommands } from './commands/maintenance';
import { registerRequestCommands } from './commands/requests';
import { registerScanCommand } from './commands/scan';
import { registerSessionCommands } from './commands/session';
import { registerTokenCommands } from './commands/tokens';
import { CliError, type CliContext, type CliIo, type GlobalOptions } from './context';
import { resolveCredentials } from './credentials';
import { openDirect, type DirectSession } from './direct';
import { explain, printFailure } from './failures';

export { CliError, type CliIo } from './context';

/** The command families, in the order `--help` lists them. */
const COMMAND_FAMILIES = [
  registerSessionCommands,
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
export function buildProgram(io: CliIo, json = false): Command {
  const program = new Command('tokens')
    .description('Operate sk_ service tokens: create, list, rotate, revoke, audit, clean up.')
    .option('--api-url <url>', 'the management API, with its stage (default: from `tokens login`)')
    .option('--json', 'print JSON for scripts, errors included (on stderr)')
    .option('--direct', 'break-glass: work on the tables with AWS credentials, not the API')
    .addOption(new Option('--region <region>', '--direct: AWS region').env('AWS_REGION'))
    .addOption(new Option('--profile <profile>', '--direct: AWS profile of the shared config'))
    .addOption(
      new Option('--endpoint <url>', '--direct: DynamoDB endpoint (e.g. a local emulator)').env(
        'AWS_ENDPOINT_URL_DYNAMODB',
      ),
    )
    .addOption(
      new Option(
        '--tokens-table <name>',
        '--direct: the tokens table (output TokensTableName)',
      ).env('TOKENS_TABLE_NAME'),
    )
    .addOption(
      new Option('--audit-table <name>', '--direct: the audit table (output AuditTableName)').env(
        'AUDIT_TABLE_NAME',
      ),
    )
    .addOption(
      new Option(
        '--registry-table <name>',
        '--direct: the API registry table (output ApiRegistryTableName)',
      ).env('REGISTRY_TABLE_NAME'),
    )
    .option('--actor <note>', '--direct: a note beside your IAM identity in the audit trail')
    .showHelpAfterError(!json)
    .configureOutput({
      writeOut: (text) => {
        io.out(text);
      },
      // Under --json a usage error is printed as JSON by runCli instead.
      writeErr: (text) => {
        if (!json) io.err(text);
      },
    })
    .exitOverride();
  const context = cliContext(program, io);
  for (const register of COMMAND_FAMILIES) register(program, context);
  return program;
}

/** The context of one run; the global options are read when an action runs, after parsing. */
function cliContext(program: Command, io: CliIo): CliContext {
  const options = () => program.opts<GlobalOptions>();
  let session: Promise<DirectSession> | undefined;
  const openSession = () => (session ??= openDirect(options(), io.env));
  let drawn = false;
  return {
    io,
    options,
    backend: async (cache?: CacheFlusher): Promise<Backend> => {
      if (options().direct !== true) {
        if (options().actor !== undefined) {
          throw new CliError('--actor is for --direct: over the API, your token is the actor', 2);
        }
        return remoteBackend(resolveCredentials(io.env, options().apiUrl), io.fetch);
      }
      const { stores, caller } = await openSession();
      const service = new TokenService({
        stores,
        now: () => new Date(),
        ...(cache === undefined ? {} : { cache }),
      });
      return directBackend(service, caller);
    },
    direct: async (command) => {
      if (options().direct !== true) {
        throw new CliError(`${command} works on the tables: give --direct (break-glass)`, 2);
      }
      return openSession();
    },
    print: (value, human) => {
      if (drawn) io.err('\n');
      drawn = false;
      io.out(`${options().json === true ? JSON.stringify(value, null, 2) : human()}\n`);
    },
    progress: (text) => {
      if (options().json === true) return;
      if (io.interactive === true) {
        io.err(`\r\u001b[2K${text}`);
        drawn = true;
      } else io.err(`${text}\n`);
    },
  };
}

/** Whether `--json` is among the global options (before the command's own arguments end). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Run the CLI; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = wantsJson(argv);
  try {
    await buildProgram(io, json).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    const failure = explain(error);
    printFailure(io, failure, json);
    return failure.exitCode;
  }
}
