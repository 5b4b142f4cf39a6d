/**
 * moto (the AWS emulator for Secrets Manager, SNS, SQS, EventBridge…) from a project-local
 * virtualenv: `.venv` is created and filled from requirements-emulators.txt when missing or
 * when that file changed, so nothing is installed by hand.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, waitUntilReady } from './child-process';
import { freePort } from './dynamodb-local';

const ROOT = join(import.meta.dirname, '..');
const VENV = join(ROOT, '.venv');
const REQUIREMENTS = join(ROOT, 'requirements-emulators.txt');
const STAMP = join(VENV, '.requirements.sha256');

/** Run a setup command without blocking the event loop (the local stack keeps answering). */
function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_096)),
    );
    child.once('error', (error) => {
      reject(new Error(`${what} failed: ${error.message}`));
    });
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

/** Path of moto_server, installing the virtualenv first if needed. */
export async function ensureMoto(progress?: (message: string) => void): Promise<string> {
  const wanted = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  const python = join(VENV, 'bin', 'python');
  if (!existsSync(python)) {
    await run(
      process.env['PYTHON'] ?? 'python3',
      ['-m', 'venv', VENV],
      'Creating .venv (needs Python 3.9+ with venv)',
    );
  }
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== wanted) {
    progress?.('Installing moto into .venv from requirements-emulators.txt (once, about 40 s)…');
    await run(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS],
      'Installing moto into .venv',
    );
    writeFileSync(STAMP, wanted);
  }
  return join(VENV, 'bin', 'moto_server');
}

export interface RunningMoto {
  readonly endpoint: string;
  /** Drop all emulated state (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(
  options: { port?: number; timeoutMs?: number; progress?: (message: string) => void } = {},
): Promise<RunningMoto> {
  const server = await ensureMoto(options.progress);
  const port = options.port ?? (await freePort());
  const child = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const reset = async () => {
    const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
  };
  await waitUntilReady(child, 'moto_server', reset, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return {
    endpoint,
    reset,
    stop: () => stopChild(child),
  };
}
