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
import type { Stores } from '../../shared/store';
import { TokenStore, type TokenStoreOptions } from '../../shared/store/token-store';

export interface DynamoFixture {
  readonly client: DynamoDBClient;
  /** The current test's tables (valid inside a test). */
  tables(): TableNames;
  store(options?: Partial<TokenStoreOptions>): TokenStore;
  /** Every raw item of a table: for assertions about what was (not) written. */
  scanAll(table: string): Promise<Record<string, unknown>[]>;
}

export function useDynamo(): DynamoFixture {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  let current: TableNames | undefined;

  beforeEach(async () => {
    const suffix = randomUUID().slice(0, 8);
    current = { tokens: `tokens-${suffix}`, audit: `audit-${suffix}` };
    await createTables(client, current);
  });
  afterEach(async () => {
    if (current !== undefined) await deleteTables(client, current);
    current = undefined;
  });
  afterAll(() => {
    client.destroy();
  });

  const tables = (): TableNames => {
    if (current === undefined) throw new Error('tables() is only valid inside a test');
    return current;
  };

  return {
    client,
    tables,
    store: (options = {}) =>
      new TokenStore({
        client,
        tokensTable: tables().tokens,
        auditTable: tables().audit,
        ...options,
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

/** TRANSITIONAL (structure redesign): the repositories of an old TokenStore, or a fake of one. */
export function storesOf(store: TokenStore): Stores {
  return {
    tokens: store,
    rotations: store,
    requests: store,
    bootstrap: store,
    alerts: store,
    audit: {
      append: (input, context) => store.recordAudit(input, context),
      listByTarget: (targetId, page) => store.listAudit(targetId, page),
      listByDay: (day, page) => store.listAuditByDay(day, page),
    },
  };
}
