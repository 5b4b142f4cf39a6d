/**
 * An example long-running service: it calls a protected route every `intervalMs` with its
 * token from Secrets Manager, and keeps working across rotations (rotate-now included).
 *
 *   SERVICE_TOKEN_SECRET=… GRACE_PERIOD_SECONDS=604800 API_URL=https://…/v1/me npx tsx examples/service/worker.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceTokenReader } from '../../client/service-token-reader';
import { callProtected, type CallResult } from './call-api';

export interface WorkerOptions {
  readonly reader: ServiceTokenReader;
  readonly url: string;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  readonly onCall: (result: CallResult) => void;
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  while (!options.signal.aborted) {
    options.onCall(await callProtected(options.reader, options.url));
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const env = (name: string) => {
    const value = process.env[name];
    if (value === undefined || value === '') throw new Error(`Set ${name}`);
    return value;
  };
  const reader = new ServiceTokenReader({
    secretId: env('SERVICE_TOKEN_SECRET'),
    gracePeriodSeconds: Number(env('GRACE_PERIOD_SECONDS')),
  });
  const stop = new AbortController();
  process.once('SIGINT', () => {
    stop.abort();
  });
  await runWorker({
    reader,
    url: env('API_URL'),
    intervalMs: 1000,
    signal: stop.signal,
    onCall: (call) => {
      console.log(`${String(call.status)} with ${call.tokenId}`);
    },
  });
}
