/**
 * `scan <file|->`: find service tokens in a text (a log, a config dump, a diff) with the
 * robust finder (any prefix, glued or percent-encoded), print them as hints, never as tokens.
 * A dry run by default; `--revoke` reports them to the leak intake's generic route
 * (`POST /leaks`, HMAC-signed with the webhook secret), which applies the deployment's policy.
 *
 * Independent of the tables and the rest of the CLI on purpose: it needs only the intake's URL
 * and secret, so anyone holding those can report what they found.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import * as z from 'zod/mini';
import { MAX_CANDIDATES } from '../../shared/leaks/report';
import {
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookSignature,
} from '../../shared/leaks/signatures';
import { displayHint, findTokens } from '../../shared/token/format';
import { CliError, type CliContext } from '../context';
import { apiUrlOf } from '../credentials';

/** Where the webhook secret is read from (never an argument: shell history, `ps`). */
export const SECRET_ENV = 'LEAK_WEBHOOK_SECRET';

interface ScanOptions {
  readonly revoke?: boolean;
  readonly url?: string;
  readonly where?: string;
}

interface Found {
  readonly token: string;
  readonly line: number;
}

const replySchema = z.object({
  results: z.array(
    z.object({
      index: z.number(),
      outcome: z.string(),
      tokenId: z.optional(z.string()),
      repeat: z.optional(z.boolean()),
    }),
  ),
});

async function readInput(path: string): Promise<string> {
  try {
    if (path !== '-') return await readFile(path, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new CliError(`Cannot read ${path}: ${code}`, 2);
  }
}

/** Each distinct token once, with the first line it is on. */
export function findInText(text: string): Found[] {
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    for (const token of findTokens(line)) if (!seen.has(token)) seen.set(token, i + 1);
  });
  return [...seen].map(([token, line]) => ({ token, line }));
}

/** Report `found` to the generic intake in batches; one line per token, by hint. */
async function report(
  found: readonly Found[],
  options: { url: string; secret: string; where: string },
): Promise<string[]> {
  const lines: string[] = [];
  for (let start = 0; start < found.length; start += MAX_CANDIDATES) {
    const batch = found.slice(start, start + MAX_CANDIDATES);
    const body = JSON.stringify(
      batch.map((f) => ({
        token: f.token,
        type: 'service_token',
        url: `${options.where}:${String(f.line)}`,
        source: 'tokens scan',
      })),
    );
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CliError(
        `The leak intake at ${options.url} could not be reached: ${String(error)}`,
        1,
      );
    }
    const parsed = replySchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new CliError(`The leak intake answered ${String(response.status)} without results`, 1);
    }
    for (const result of parsed.data.results) {
      const f = batch[result.index];
      if (f === undefined) continue;
      lines.push(
        `${displayHint(f.token)}  line ${String(f.line)}  ${result.outcome}${result.tokenId === undefined ? '' : `  ${result.tokenId}`}${result.repeat === true ? '  (reported before)' : ''}`,
      );
    }
    if (!response.ok)
      throw new CliError(
        `${lines.join('\n')}\nThe leak intake answered ${String(response.status)}: run it again`,
        1,
      );
  }
  return lines;
}

/** Adds `scan`. */
export function registerScanCommand(program: Command, context: Pick<CliContext, 'io'>): void {
  program
    .command('scan')
    .description('Find service tokens in a file (or - for stdin); --revoke reports them')
    .argument('<file>', 'a file, or - for standard input')
    .option('--revoke', 'report them to the leak intake, which applies the deployment policy')
    .option('--url <url>', 'the generic leak intake, e.g. <ApiUrl>leaks (https)')
    .option('--where <label>', 'where the text came from, for the audit trail (default: <file>)')
    .action(async (file: string, options: ScanOptions) => {
      const found = findInText(await readInput(file));
      const { io } = context;
      if (found.length === 0) {
        io.out(`No service tokens found in ${file}.\n`);
        return;
      }
      if (options.revoke !== true) {
        const hints = found.map((f) => `${displayHint(f.token)}  line ${String(f.line)}`);
        io.out(
          `${hints.join('\n')}\n${String(found.length)} token(s) found. Dry run: nothing reported; --revoke reports them.\n`,
        );
        return;
      }
      // The secret only from the environment: an argument ends up in shell history and `ps`.
      const secret = io.env[SECRET_ENV];
      if (options.url === undefined || secret === undefined || secret === '') {
        throw new CliError(`--revoke needs --url and the webhook secret in $${SECRET_ENV}`, 2);
      }
      // Tokens go in clear text to this URL: https only (plain http to this machine).
      const url = apiUrlOf(options.url, '--url');
      const lines = await report(found, { url, secret, where: options.where ?? file });
      io.out(`${lines.join('\n')}\n${String(found.length)} token(s) reported.\n`);
    });
}
