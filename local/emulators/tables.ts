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
  registryTable,
  tokenTable,
  type TableDefinition,
} from '../../shared/store/schema';

export interface TableNames {
  readonly tokens: string;
  readonly audit: string;
  /** The API registry; created only where named (functions that never read it need none). */
  readonly registry?: string;
}

async function createTable(client: DynamoDBClient, name: string, def: TableDefinition) {
  await client.send(new CreateTableCommand(createTableInput(name, def)));
  if (def.ttlAttribute === undefined) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
    }),
  );
}

/** The tables, with their TTL attribute on. */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all([
    createTable(client, names.tokens, tokenTable),
    createTable(client, names.audit, auditTable),
    ...(names.registry === undefined ? [] : [createTable(client, names.registry, registryTable)]),
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
  else if (names.registry !== undefined && !TableNames.includes(names.registry)) {
    // A data directory from before the registry: add it, keep the tokens.
    await createTable(client, names.registry, registryTable);
  }
  return existed;
}

export async function deleteTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    [names.tokens, names.audit, ...(names.registry === undefined ? [] : [names.registry])].map(
      (TableName) => client.send(new DeleteTableCommand({ TableName })),
    ),
  );
}
