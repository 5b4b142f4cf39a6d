/**
 * moto (the AWS emulator for Secrets Manager, SNS, SQS, EventBridge…) from the project-local
 * virtualenv `.venv` (requirements-emulators.txt), installed on first use.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, stopChild, waitUntilReady } from './child-process';
import { ensureVenv } from './python-env';

/** Path of moto_server, installing the virtualenv first if needed. */
export async function ensureMoto(progress?: (message: string) => void): Promise<string> {
  const bin = await ensureVenv({
    dir: '.venv',
    requirements: 'requirements-emulators.txt',
    what: 'moto',
    ...(progress === undefined ? {} : { progress }),
  });
  return join(bin, 'moto_server');
}

export interface RunningMoto {
  readonly endpoint: string;
  /** Drop all emulated state (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** moto_server on `port` (default: a free one), installed into `.venv` first if needed. */
export async function startMoto(
  options: { port?: number; timeoutMs?: number; progress?: (message: string) => void } = {},
): Promise<RunningMoto> {
  const server = await ensureMoto(options.progress);
  const port = options.port ?? (await freePort());
  const child = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    // moto answers CORS for every origin by default: a web page could then read the local
    // secrets (their live tokens) from the user's browser.
    env: { ...process.env, MOTO_DISABLE_GLOBAL_CORS: 'true' },
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
