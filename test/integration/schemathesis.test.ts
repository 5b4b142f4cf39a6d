/**
 * schemathesis (PyPI, pinned in requirements-schemathesis.txt) against the local stack with
 * the committed OpenAPI document: generated requests for every operation, as an admin, with
 * the authorizer on every request. Zero server errors.
 */
import { ROUTE_DOCS } from '../../shared/api/route-docs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVenv } from '../../local/emulators/python-env';
import { interrupt, runProcess, startStack, type Running } from '../support/local-stack';

const ROOT = join(import.meta.dirname, '../..');
let bin: string;
let stack: Running | undefined;

beforeAll(async () => {
  bin = await ensureVenv({
    dir: '.venv-schemathesis',
    requirements: 'requirements-schemathesis.txt',
    what: 'schemathesis',
  });
  stack = await startStack(['--port', '0', '--authorizer-cache-ttl', '0']);
}, 300_000);

afterAll(async () => {
  if (stack !== undefined) await interrupt(stack);
});

describe('schemathesis against the local stack', () => {
  it('finds no server error in any operation of docs/openapi.json', async () => {
    if (stack === undefined) throw new Error('the local stack did not start');
    const admin = stack.adminToken ?? '';
    // In a scratch folder: schemathesis keeps a cache of past failures in its working directory.
    const cwd = mkdtempSync(join(tmpdir(), 'schemathesis-'));
    // Asynchronously: the stack's console output must keep flowing while schemathesis runs.
    const run = await runProcess(
      join(bin, 'schemathesis'),
      [
        'run',
        join(ROOT, 'docs/openapi.json'),
        '--url',
        stack.url,
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
      { cwd, env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' } },
    ).finally(() => {
      rmSync(cwd, { recursive: true, force: true });
    });
    const summary = run.stdout.split('SUMMARY').at(-1) ?? run.stdout;
    expect(run.code, `${summary}\n${run.stderr}`).toBe(0);
    // Every management route, plus /health.
    expect(run.stdout).toMatch(new RegExp(`Tested: ${String(ROUTE_DOCS.length + 1)}\\b`));
    expect(run.stdout).not.toContain(admin);
  }, 300_000);
});
