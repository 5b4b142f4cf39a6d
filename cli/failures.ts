/**
 * What a failed run prints and exits with. Under `--json` it is one JSON document on stderr,
 * of a stable shape (pinned by test/unit/cli-json.test.ts):
 *
 * `{"error": {"code": "forbidden", "message": "…", "exitCode": 2, "status": 403}}`
 *
 * Exit codes: 0 done; 1 failed (network, AWS, the API's 5xx or 429, a conflict, gone);
 * 2 bad input, not logged in, refused (401, 403) or not found.
 */
import { CommanderError } from 'commander';
import { ServiceTokensError } from '../client/errors';
import { failureOf } from '../shared/api/errors';
import { redactTokens } from '../shared/token/format';
import { CliError, type CliIo } from './context';

export interface CliFailure {
  /** Stable, for scripts: `bad-input`, `not-logged-in`, `unauthorized`, `forbidden`, … */
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
  /** The API's HTTP status, when it answered (or would have, under `--direct`). */
  readonly status?: number;
  /** Whether commander already printed it (help, version): nothing more to print. */
  readonly printed?: true;
}

const BY_STATUS: Readonly<Record<number, { code: string; exitCode: 1 | 2 }>> = {
  400: { code: 'bad-input', exitCode: 2 },
  401: { code: 'unauthorized', exitCode: 2 },
  403: { code: 'forbidden', exitCode: 2 },
  404: { code: 'not-found', exitCode: 2 },
  409: { code: 'conflict', exitCode: 1 },
  410: { code: 'gone', exitCode: 1 },
  413: { code: 'too-large', exitCode: 2 },
  415: { code: 'bad-input', exitCode: 2 },
  429: { code: 'throttled', exitCode: 1 },
  503: { code: 'unavailable', exitCode: 1 },
};

function byStatus(status: number, message: string): CliFailure {
  const known = BY_STATUS[status] ?? { code: 'server-error', exitCode: 1 };
  return { ...known, message, status };
}

export function explain(error: unknown): CliFailure {
  if (error instanceof CliError) {
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  }
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return { code: 'ok', message: '', exitCode: 0, printed: true };
    // commander's own message: "error: missing required argument 'tokenId'".
    return { code: 'usage', message: error.message.replace(/^error: /, ''), exitCode: 2 };
  }
  if (error instanceof ServiceTokensError) {
    if (error.kind === 'http' && error.status !== undefined) {
      return byStatus(error.status, error.message);
    }
    return { code: error.kind, message: error.message, exitCode: 1 };
  }
  const failed = failureOf(error);
  if (failed.unexpected && failed.status === 500) {
    return { code: 'failed', message: failed.message, exitCode: 1 };
  }
  return { ...byStatus(failed.status, failed.message), exitCode: failed.exitCode };
}

/** A failure on stderr: `error: …` text, or the JSON document under `--json`. */
export function printFailure(io: CliIo, failure: CliFailure, json: boolean): void {
  if (failure.printed === true) return;
  // An error message never carries a token, whatever the API or AWS put in it.
  const message = redactTokens(failure.message, '[token]');
  if (json) {
    const { code, exitCode, status } = failure;
    const error = { code, message, exitCode, ...(status === undefined ? {} : { status }) };
    io.err(`${JSON.stringify({ error })}\n`);
  } else if (failure.code !== 'usage') {
    io.err(`error: ${message}\n`);
  }
}
