/**
 * Per-test DynamoDB state on the shared emulator: every test gets freshly created tables with
 * unique names, so tests never see each other's items and can run in parallel.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, inject } from 'vitest';
import { localDynamoClient } from '../../local/aws/clients';
import { createTables, deleteTables, type TableNames } from '../../local/emulators/tables';
import {
  openApiRegistry,
  openStores,
  type PlatformStores,
  type StoreOptions,
} from '../../shared/store';
import { registerExampleApi } from './registry';

/** A test's tables: all three are created for every test. */
export type TestTables = TableNames & { readonly registry: string };

export interface DynamoFixture {
  readonly client: DynamoDBClient;
  /** The current test's tables (valid inside a test). */
  tables(): TestTables;
  /**
   * The repositories on the current test's tables (through another client, if given). The
   * registry holds the example API (test/support/registry.ts) unless the test removes it.
   */
  stores(options?: Partial<Omit<StoreOptions, 'tables'>>): PlatformStores;
  /** Every raw item of a table: for assertions about what was (not) written. */
  scanAll(table: string): Promise<Record<string, unknown>[]>;
}

export function useDynamo(): DynamoFixture {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  let current: TestTables | undefined;

  beforeEach(async () => {
    const suffix = randomUUID().slice(0, 8);
    current = { tokens: `tokens-${suffix}`, audit: `audit-${suffix}`, registry: `apis-${suffix}` };
    await createTables(client, current);
    await registerExampleApi(openApiRegistry({ client, tableName: current.registry }));
  });
  afterEach(async () => {
    if (current !== undefined) await deleteTables(client, current);
    current = undefined;
  });
  afterAll(() => {
    client.destroy();
  });

  const tables = (): TestTables => {
    if (current === undefined) throw new Error('tables() is only valid inside a test');
    return current;
  };

  return {
    client,
    tables,
    stores: (options = {}) => ({
      ...openStores({ client, tables: tables(), ...options }),
      apis: openApiRegistry({
        client: options.client ?? client,
        tableName: tables().registry,
        ...(options.now === undefined ? {} : { now: options.now }),
      }),
    }),
    scanAll: async (table) => {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return items;
    },
  };
}
