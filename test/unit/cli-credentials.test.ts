/** Where the CLI keeps the team's token, and what it refuses to keep or read. */
import fc from 'fast-check';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/context';
import {
  apiUrlOf,
  credentialsPath,
  resolveCredentials,
  saveCredentials,
  tokenOf,
} from '../../cli/credentials';
import { generateToken } from '../../shared/token/format';

const scratch = mkdtempSync(join(tmpdir(), 'cli-credentials-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the credentials file', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config, unless SERVICE_TOKENS_CONFIG says', () => {
    expect(credentialsPath({ HOME: '/home/a' })).toBe(
      '/home/a/.config/service-tokens/credentials.json',
    );
    expect(credentialsPath({ HOME: '/home/a', XDG_CONFIG_HOME: '/x' })).toBe(
      '/x/service-tokens/credentials.json',
    );
    expect(credentialsPath({ SERVICE_TOKENS_CONFIG: '/y.json' })).toBe('/y.json');
  });

  it('is written 0600 in a 0700 folder, even over a file that was looser', () => {
    const path = join(scratch, 'a', 'credentials.json');
    writeFileSync(join(scratch, 'loose.json'), '{}', { mode: 0o644 });
    saveCredentials(path, { apiUrl: 'https://x.test/v1', token: generateToken() });
    saveCredentials(join(scratch, 'loose.json'), {
      apiUrl: 'https://x.test/v1',
      token: generateToken(),
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(scratch, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(scratch, 'loose.json')).mode & 0o777).toBe(0o600);
  });

  it('replaces a symbolic link at its place instead of writing through it, and never reads one', () => {
    const target = join(scratch, 'elsewhere.json');
    writeFileSync(target, "someone else's file", { mode: 0o644 });
    const path = join(scratch, 'linked.json');
    symlinkSync(target, path);
    expect(() => resolveCredentials({ SERVICE_TOKENS_CONFIG: path }, undefined)).toThrow(
      /is a symbolic link/,
    );
    saveCredentials(path, { apiUrl: 'https://x.test/v1', token: generateToken() });
    expect(readFileSync(target, 'utf8')).toBe("someone else's file");
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('is not read when others can read it', () => {
    const path = join(scratch, 'b.json');
    saveCredentials(path, { apiUrl: 'https://x.test/v1', token: generateToken() });
    chmodSync(path, 0o640);
    expect(() => resolveCredentials({ SERVICE_TOKENS_CONFIG: path }, undefined)).toThrow(
      /readable by others/,
    );
  });

  it('gives way to SERVICE_TOKENS_URL and SERVICE_TOKENS_TOKEN, and --api-url to both', () => {
    const path = join(scratch, 'c.json');
    const [stored, fromEnv] = [generateToken(), generateToken()];
    saveCredentials(path, { apiUrl: 'https://stored.test/v1', token: stored });
    const env = { SERVICE_TOKENS_CONFIG: path };
    expect(resolveCredentials(env, undefined)).toEqual({
      apiUrl: 'https://stored.test/v1',
      token: stored,
    });
    expect(resolveCredentials({ ...env, SERVICE_TOKENS_TOKEN: fromEnv }, undefined).token).toBe(
      fromEnv,
    );
    expect(
      resolveCredentials(
        { ...env, SERVICE_TOKENS_URL: 'https://env.test/v1/', SERVICE_TOKENS_TOKEN: fromEnv },
        'https://flag.test/v2',
      ),
    ).toEqual({ apiUrl: 'https://flag.test/v2', token: fromEnv });
  });

  it('says how to log in when there is nothing to use', () => {
    expect(() =>
      resolveCredentials({ SERVICE_TOKENS_CONFIG: join(scratch, 'none.json') }, undefined),
    ).toThrow(/Not logged in: run `tokens login --api-url URL`/);
  });
});

describe('what login takes', () => {
  it.each([
    'ftp://x.test',
    'http://api.example.com/v1',
    'http://10.0.0.5/v1',
    'not a url',
    'https://x.test/v1?token=1',
    'https://u:p@x.test/v1',
  ])('refuses the API URL %s', (url) => {
    expect(() => apiUrlOf(url)).toThrow(CliError);
  });

  it('refuses plain http to any host but this machine (property)', () => {
    const host = fc.domain().filter((h) => h !== 'localhost');
    fc.assert(
      fc.property(
        host,
        fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        (name, port) => {
          const url = `http://${name}${port === undefined ? '' : `:${String(port)}`}/v1`;
          expect(() => apiUrlOf(url)).toThrow(/must be https/);
          expect(apiUrlOf(url.replace('http:', 'https:'))).toMatch(/^https:\/\//);
        },
      ),
    );
  });

  it('takes https anywhere and plain http to this machine only, without a trailing slash', () => {
    expect(apiUrlOf('https://x.test/v1/')).toBe('https://x.test/v1');
    expect(apiUrlOf('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(apiUrlOf('http://localhost:3000/')).toBe('http://localhost:3000');
  });

  it('takes a token with its newline, and refuses text that is not one', () => {
    const token = generateToken();
    expect(tokenOf(`${token}\n`)).toBe(token);
    for (const text of [
      '',
      'sk_short',
      `${token} ${token}`,
      `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`,
    ]) {
      expect(() => tokenOf(text)).toThrow(/not a service token/);
    }
  });
});
