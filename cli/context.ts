/**
 * What every command of the `tokens` CLI is given: the terminal, the backend (the API over
 * HTTPS, or the tables with `--direct`) and printing. Built once per run by `buildProgram`
 * (cli/program.ts).
 */
import type { CacheFlusher } from '../shared/api/token-service';
import type { Backend } from './backend';
import type { DirectSession } from './direct';

/** Where the CLI writes, and the environment it reads its defaults from. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Reads a secret (a token to log in with): all of stdin when it is piped, else a prompt that
   * does not echo. Absent where there is no terminal to ask.
   */
  readSecret?: (prompt: string) => Promise<string>;
  /** Whether stderr is a terminal (progress is drawn only there). @default false */
  readonly interactive?: boolean;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/** The options given before the command, for every command. */
export interface GlobalOptions {
  apiUrl?: string;
  direct?: boolean;
  region?: string;
  profile?: string;
  endpoint?: string;
  tokensTable?: string;
  auditTable?: string;
  registryTable?: string;
  actor?: string;
  json?: boolean;
}

/** Exit codes: 0 done, 1 failed (AWS, network, conflict), 2 bad input, refused or not found. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    /** The `code` of the JSON error. @default 'bad-input' for exit code 2, else 'failed' */
    readonly code: string = exitCode === 2 ? 'bad-input' : 'failed',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Handed to every `register…(program, context)` of cli/commands/. */
export interface CliContext {
  readonly io: CliIo;
  /** The global options, once parsed. */
  options(): GlobalOptions;
  /** The API with the team's token, or the tables under `--direct`. */
  backend(cache?: CacheFlusher): Promise<Backend>;
  /** The tables, for what only break-glass does (`cleanup`); refuses without `--direct`. */
  direct(command: string): Promise<DirectSession>;
  /** Prints `value` as JSON under `--json`, otherwise the human text. */
  print(value: unknown, human: () => string): void;
  /** A progress line on stderr, redrawn in place on a terminal; nothing under `--json`. */
  progress(text: string): void;
}
