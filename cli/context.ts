/**
 * What every command of the `tokens` CLI is given: the terminal, the operator's session on the
 * tables, the use cases and printing. Built once per run by `buildProgram` (cli/program.ts).
 */
import type { StageCacheFlusher } from '../shared/api/cache-flusher';
import type { Caller } from '../shared/api/access';
import type { TokenService } from '../shared/api/token-service';
import type { PlatformStores } from '../shared/store';

/** Where the CLI writes, and the environment it reads its defaults from. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

/** The options given before the command, for every command. */
export interface GlobalOptions {
  region?: string;
  profile?: string;
  endpoint?: string;
  tokensTable?: string;
  auditTable?: string;
  registryTable?: string;
  actor?: string;
  json?: boolean;
}

/** Exit codes: 0 done, 1 failed (AWS, conflict), 2 bad input or not found. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The operator at the tables: opened by a command's action, once the options are parsed. */
export interface Session {
  readonly options: GlobalOptions;
  readonly stores: PlatformStores;
  /** The operator, acting with the admin scope as `cli:<name>`. */
  readonly caller: Caller;
}

/** Handed to every `register…(program, context)` of cli/commands/. */
export interface CliContext {
  readonly io: CliIo;
  /** Opens the tables and names the operator; throws a `CliError` if the tables are not given. */
  session(): Session;
  /** The management use cases on these stores; `cache` lets an emergency flush the authorizer. */
  service(stores: PlatformStores, cache?: StageCacheFlusher): TokenService;
  /** Prints `value` as JSON under `--json`, otherwise the human text. */
  print(value: unknown, human: () => string): void;
}
