/**
 * schemathesis (PyPI, pinned in requirements-schemathesis.txt) against the local stack with
 * the committed OpenAPI document: generated requests for every operation, as an admin, with
 * the authorizer on every request. Zero server errors.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local';
import { ensureVenv } from '../../local/python-env';

const ROOT = join(import.meta.dirname, '../..');

function runAsync(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    // In a scratch folder: schemathesis keeps a cache of past failures in its working directory.
    const cwd = mkdtempSync(join(tmpdir(), 'schemathesis-'));
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}
let bin: string;
let stop: () => void = () => undefined;
let url = '';
let admin = '';

beforeAll(async () => {
  bin = await ensureVenv({
    dir: '.venv-schemathesis',
    requirements: 'requirements-schemathesis.txt',
    what: 'schemathesis',
  });
  const port = await freePort();
  const child = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    ['local/main.ts', '--port', String(port), '--authorizer-cache-ttl', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  stop = () => child.kill('SIGTERM');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('Ctrl-C stops everything.')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`no local stack:\n${output}`);
    await sleep(100);
  }
  url = `http://127.0.0.1:${String(port)}`;
  admin = /First admin token[^\n]*\n\s+(sk_\w+)/.exec(output)?.[1] ?? '';
}, 300_000);

afterAll(() => {
  stop();
});

describe('schemathesis against the local stack', () => {
  it('finds no server error in any operation of docs/openapi.json', async () => {
    // Asynchronously: the stack's console output must keep flowing while schemathesis runs.
    const run = await runAsync(
      join(bin, 'schemathesis'),
      [
        'run',
        join(ROOT, 'docs/openapi.json'),
        '--url',
        url,
        '--header',
        `Authorization: Bearer ${admin}`,
        '--checks',
        'not_a_server_error',
        '--phases',
        'coverage,fuzzing',
        '--max-examples',
        '25',
        '--workers',
        '1',
        '--seed',
        '20261123',
        '--no-color',
      ],
      { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' },
    );
    const summary = run.stdout.split('SUMMARY').at(-1) ?? run.stdout;
    expect(run.status, `${summary}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/Tested: 10/);
    expect(run.stdout).not.toContain(admin);
  }, 300_000);
});
