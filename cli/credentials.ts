/**
 * Where the CLI finds the API and the team's token: `SERVICE_TOKENS_URL` and
 * `SERVICE_TOKENS_TOKEN` first, then the file `tokens login` wrote. The file holds a live
 * token, so it is written with mode 0600 in a 0700 folder, and read only if nobody else can.
 */
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { hasValidChecksum } from '../shared/token/format';
import { CliError, type CliIo } from './context';
import { parseJsonOrUndefined } from '../shared/json';

export const URL_VARIABLE = 'SERVICE_TOKENS_URL';
export const TOKEN_VARIABLE = 'SERVICE_TOKENS_TOKEN';
/** Another place for the credentials file (tests, several deployments). */
export const CONFIG_VARIABLE = 'SERVICE_TOKENS_CONFIG';

export interface Credentials {
  readonly apiUrl: string;
  readonly token: string;
}

const fileSchema = z.object({ apiUrl: z.string(), token: z.string() });

/** `$SERVICE_TOKENS_CONFIG`, else `$XDG_CONFIG_HOME/service-tokens/credentials.json`. */
export function credentialsPath(env: CliIo['env']): string {
  const given = env[CONFIG_VARIABLE];
  if (given !== undefined && given !== '') return given;
  const base = env['XDG_CONFIG_HOME'] ?? join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'service-tokens', 'credentials.json');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An API base URL as the client takes it: https (plain http only to this machine, the local
 * stack: a token sent in clear over a network is a leaked token), no query, no trailing slash.
 */
export function apiUrlOf(given: string, flag = '--api-url'): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new CliError(`${flag} must be a URL such as https://abc123.execute-api…/v1`, 2);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new CliError(`${flag} must be https (http only for this machine: the local stack)`, 2);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new CliError(`${flag} takes no query, fragment or user name`, 2);
  }
  return url.toString().replace(/\/+$/, '');
}

/** A token as typed or piped: one line, trimmed, of the token format (checked offline). */
export function tokenOf(text: string): string {
  const token = text.trim();
  if (token === '' || /\s/.test(token) || !hasValidChecksum(token)) {
    throw new CliError('That is not a service token (sk_…): nothing was stored', 2);
  }
  return token;
}

export function saveCredentials(path: string, credentials: Credentials): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A new file of ours ('wx' is O_CREAT|O_EXCL), then renamed over the target: the token is
  // never in a file with looser rights, and a symlink at the target is replaced, not followed.
  const temp = join(dir, `.credentials-${randomUUID()}.tmp`);
  writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export function forgetCredentials(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

function readCredentials(path: string): Partial<Credentials> {
  let text: string;
  try {
    // A token others can read, or could have put there, is not to be used (as ssh does).
    const file = lstatSync(path);
    if (file.isSymbolicLink()) {
      throw new CliError(`${path} is a symbolic link: log in again to replace it`, 2);
    }
    if (
      (file.mode & 0o077) !== 0 ||
      (process.getuid !== undefined && file.uid !== process.getuid())
    ) {
      throw new CliError(`${path} is readable by others: chmod 600 it, or log in again`, 2);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    return {};
  }
  const parsed = fileSchema.safeParse(parseJsonOrUndefined(text));
  if (!parsed.success) throw new CliError(`${path} is not a credentials file: log in again`, 2);
  return parsed.data;
}

/**
 * The API and token to use: the environment over the file; a `CliError` if either is missing.
 * A stored token goes only to the API it was stored for: `--api-url` elsewhere with the file's
 * token is refused, so a typo'd or hostile URL never receives it.
 */
export function resolveCredentials(env: CliIo['env'], apiUrl: string | undefined): Credentials {
  const given = (name: string) => (env[name] === '' ? undefined : env[name]);
  const url = apiUrl ?? given(URL_VARIABLE);
  const token = given(TOKEN_VARIABLE);
  if (token !== undefined && url !== undefined)
    return { apiUrl: apiUrlOf(url), token: tokenOf(token) };
  const stored = readCredentials(credentialsPath(env));
  const storedElsewhere =
    stored.apiUrl !== undefined && url !== undefined && apiUrlOf(url) !== apiUrlOf(stored.apiUrl);
  if (token === undefined && storedElsewhere) {
    throw new CliError(
      `The stored token is for ${stored.apiUrl}: log in to ${url} first (tokens login --api-url ${url})`,
      2,
    );
  }
  const chosenUrl = url ?? stored.apiUrl;
  const chosenToken = token ?? stored.token;
  if (chosenUrl === undefined || chosenToken === undefined) {
    throw new CliError(
      `Not logged in: run \`tokens login --api-url URL\` (or set ${URL_VARIABLE} and ${TOKEN_VARIABLE}); --direct works on the tables instead`,
      2,
      'not-logged-in',
    );
  }
  return { apiUrl: apiUrlOf(chosenUrl), token: tokenOf(chosenToken) };
}
