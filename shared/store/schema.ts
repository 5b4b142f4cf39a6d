/**
 * The one definition of the DynamoDB tables. The CDK construct (infra/token-tables.ts) and the
 * emulator setup (local/emulators/tables.ts) are both derived from it, so they cannot drift apart.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TOKEN_INDEX } from './token-indexes';

export { TOKEN_INDEX } from './token-indexes';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch seconds; DynamoDB deletes the item some time after this passes. None: kept. */
  readonly ttlAttribute?: string;
  readonly indexes: readonly IndexDefinition[];
  /** A change stream of new item images (the audit table's feeds the lifecycle events). */
  readonly stream?: 'NEW_IMAGE';
}

/** Value of `expiryPartition` on every live token: the sparse expiry index has one partition. */
export const LIVE_PARTITION = 'live';

export const tokenTable: TableDefinition = {
  partitionKey: { name: 'tokenHash', type: 'S' },
  ttlAttribute: 'ttl',
  indexes: [
    {
      name: TOKEN_INDEX.byTokenId,
      partitionKey: { name: 'tokenId', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      name: TOKEN_INDEX.byOwner,
      partitionKey: { name: 'owner', type: 'S' },
      sortKey: { name: 'createdAt', type: 'S' },
      projection: 'ALL',
    },
    {
      name: TOKEN_INDEX.byExpiry,
      partitionKey: { name: 'expiryPartition', type: 'S' },
      sortKey: { name: 'endsAt', type: 'S' },
      projection: 'ALL',
    },
    {
      name: TOKEN_INDEX.byRotationRequest,
      partitionKey: { name: 'requestState', type: 'S' },
      sortKey: { name: 'requestDeadline', type: 'S' },
      projection: 'ALL',
    },
    {
      name: TOKEN_INDEX.bySecret,
      partitionKey: { name: 'secretId', type: 'S' },
      sortKey: { name: 'expiresAt', type: 'S' },
      projection: 'ALL',
    },
    {
      name: TOKEN_INDEX.byPolicyDue,
      partitionKey: { name: 'policyDueShard', type: 'S' },
      sortKey: { name: 'policyDueAt', type: 'S' },
      projection: 'KEYS_ONLY',
    },
  ],
};

export const AUDIT_INDEX = { byDay: 'ByDay' } as const;

/** Audit events: per target token, time-ordered; plus a per-day index for "what happened when". */
export const auditTable: TableDefinition = {
  partitionKey: { name: 'targetId', type: 'S' },
  sortKey: { name: 'eventKey', type: 'S' },
  ttlAttribute: 'ttl',
  // Every lifecycle change writes exactly one audit item in its own transaction, so the audit
  // stream is the change feed: no event without a change, no change without an event.
  stream: 'NEW_IMAGE',
  indexes: [
    {
      name: AUDIT_INDEX.byDay,
      partitionKey: { name: 'day', type: 'S' },
      sortKey: { name: 'eventKey', type: 'S' },
      projection: 'ALL',
    },
  ],
};

/** Value of `registry` on every registered API: the whole registry is one Query. */
export const REGISTRY_PARTITION = 'api';

/**
 * The API registry: one item per protected API (its kind, stages and route catalog), written
 * by the registration custom resource of each consumer authorizer at deploy. A table of its
 * own rather than items in the token table: it shares no key space, stream, TTL or
 * cross-account resource policy with tokens, and the provider's grant is this table only.
 * It is small (one item per API) and read whole by one Query on its one partition, sorted by
 * `apiKey` (`<account>/<region>/<kind>/<apiId>`).
 */
export const registryTable: TableDefinition = {
  partitionKey: { name: 'registry', type: 'S' },
  sortKey: { name: 'apiKey', type: 'S' },
  indexes: [],
};

/** CreateTable input for an emulator or a script; the deployed tables come from CDK. */
export function createTableInput(tableName: string, def: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const keys = [
    def.partitionKey,
    def.sortKey,
    ...def.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  for (const key of keys) if (key !== undefined) attributes.set(key.name, key);
  const keySchema = (pk: KeyAttribute, sk?: KeyAttribute) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk === undefined ? [] : [{ AttributeName: sk.name, KeyType: 'RANGE' as const }]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: def.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection },
          })),
        }),
    ...(def.stream === undefined
      ? {}
      : { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } }),
  };
}
