/** Both emulators of the local stack, started together: DynamoDB Local and moto. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDynamoDbLocal, type RunningDynamoDb } from './dynamodb-local';
import { startMoto, type RunningMoto } from './moto';

export interface RunningEmulators {
  readonly dynamo: RunningDynamoDb;
  readonly moto: RunningMoto;
}

/**
 * Start both emulators; if one fails, stop the other before failing. With a `dataDir`,
 * DynamoDB Local keeps its data in `<dataDir>/dynamodb` (moto keeps nothing).
 */
export async function startEmulators(options: {
  readonly dataDir?: string;
  readonly progress: (line: string) => void;
}): Promise<RunningEmulators> {
  const dataDir = options.dataDir === undefined ? undefined : join(options.dataDir, 'dynamodb');
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const [dynamo, moto] = await Promise.allSettled([
    startDynamoDbLocal(dataDir === undefined ? {} : { dataDir }),
    startMoto({ progress: options.progress }),
  ]);
  if (dynamo.status === 'fulfilled' && moto.status === 'fulfilled') {
    return { dynamo: dynamo.value, moto: moto.value };
  }
  await Promise.all(
    [dynamo, moto].flatMap((started) =>
      started.status === 'fulfilled' ? [started.value.stop()] : [],
    ),
  );
  const failed = [dynamo, moto].find((started) => started.status === 'rejected');
  throw failed?.reason instanceof Error ? failed.reason : new Error(String(failed?.reason));
}

/** Stop both emulators. */
export async function stopEmulators(emulators: RunningEmulators): Promise<void> {
  await Promise.all([emulators.dynamo.stop(), emulators.moto.stop()]);
}
