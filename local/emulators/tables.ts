/** Creates the token and audit tables on an emulator from the shared schema. */
import {
  CreateTableCommand,
  DeleteTableCommand,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  auditTable,
  createTableInput,
  tokenTable,
  type TableDefinition,
} from '../../shared/store/schema';

export interface TableNames {
  readonly tokens: string;
  readonly audit: string;
}

async function createTable(client: DynamoDBClient, name: string, def: TableDefinition) {
  await client.send(new CreateTableCommand(createTableInput(name, def)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
    }),
  );
}

/** Both tables, with their TTL attribute on. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all([
    createTable(client, names.tokens, tokenTable),
    createTable(client, names.audit, auditTable),
  ]);
}

/**
 * The tables, created unless both already exist (a restart on a data directory). Returns
 * whether they existed.
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<boolean> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const existed = TableNames.includes(names.tokens) && TableNames.includes(names.audit);
  if (!existed) await createTables(client, names);
  return existed;
}

export async function deleteTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    [names.tokens, names.audit].map((TableName) =>
      client.send(new DeleteTableCommand({ TableName })),
    ),
  );
}
