import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  StreamGrants,
  StreamViewType,
  TableEncryption,
  type Attribute,
  type ITable,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULT_RETENTION_DAYS } from '../shared/defaults';
import {
  AUDIT_INDEX,
  auditTable,
  registryTable,
  tokenTable,
  type KeyAttribute,
  type TableDefinition,
} from '../shared/store/schema';
import { TOKEN_INDEX } from '../shared/store/token-indexes';
import { allowConsumerAccounts, checkedConsumerAccounts } from './consumer-accounts';
import { grantKeyVia, KEY_READ_ACTIONS, KEY_READ_WRITE_ACTIONS } from './kms-grants';
import {
  ITEM_APPEND_ACTIONS,
  ITEM_READ_ACTIONS,
  ITEM_READ_WRITE_ACTIONS,
  ITEM_UPDATE_ACTIONS,
  QUERY_ACTIONS,
  REGISTRY_WRITE_ACTIONS,
} from './table-perms';
import {
  grantAuthorizerAccess,
  ImportedTokenTable,
  type TokenTableAccess,
  type TokenTableArns,
} from './token-table-access';
import type { RotationPolicies } from '../shared/token/rotation-policy';

/** The name of one of the token table's indexes (shared/store/schema.ts). */
export type TokenIndexName = (typeof TOKEN_INDEX)[keyof typeof TOKEN_INDEX];

/** Props of a construct whose functions set the TTL of ended tokens. */
export interface TokenRetentionProps {
  /**
   * How long an ended token's item is kept before TTL deletes it (whole days).
   * @default Duration.days(90)
   */
  readonly retention?: Duration;
}

/** `retention` as the functions' RETENTION_DAYS (whole days; a fraction fails the synth). */
export function retentionDays(props: TokenRetentionProps): string {
  return String((props.retention ?? Duration.days(DEFAULT_RETENTION_DAYS)).toDays());
}

/** The deployment's rotation policies as the functions' ROTATION_POLICIES, when given. */
export function policiesEnvironment(
  policies: RotationPolicies | undefined,
): Record<string, string> {
  return policies === undefined ? {} : { ROTATION_POLICIES: JSON.stringify(policies) };
}

export interface TokenTablesProps {
  /**
   * Keep the tables and their key (and refuse deletes) when the stack goes away.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * AWS accounts whose authorizers may read tokens and record their use, as the platform's own
   * authorizer does: a resource policy on the token table and a key-policy grant (through
   * DynamoDB) for each. Each account builds its authorizer with `TokenTables.fromArns`.
   * @default - none
   */
  readonly consumerAccounts?: readonly string[];
}

/**
 * The token table and the audit table, both derived from shared/store/schema.ts: on-demand,
 * point-in-time recovery, deletion protection, encrypted with one customer-managed KMS key so
 * access to the data can be audited and withdrawn by key policy.
 *
 * Access is granted here, one method per way a function uses the tables, each with exactly the
 * actions and indexes it needs and the key only through DynamoDB (kms:ViaService).
 */
export class TokenTables extends Construct implements TokenTableAccess {
  /**
   * The platform's token table as an authorizer in another account uses it: by ARN, granted
   * on the authorizer's own role (the platform lists that account in `consumerAccounts`).
   */
  static fromArns(arns: TokenTableArns): TokenTableAccess {
    return new ImportedTokenTable(arns);
  }

  readonly tokens: Table;
  readonly audit: Table;
  /** The registry of protected APIs (written by the registration provider, ApiRegistry). */
  readonly registry: Table;
  readonly key: Key;
  /** The audit table's stream of new item images (the lifecycle events' source). */
  readonly auditStreamArn: string;
  /** The accounts allowed the authorizer's access (`consumerAccounts`). */
  readonly consumerAccounts: readonly string[];

  constructor(scope: Construct, id: string, props: TokenTablesProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the service-token and audit tables',
      enableKeyRotation: true,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.tokens = this.table('Tokens', tokenTable, retain);
    this.audit = this.table('Audit', auditTable, retain);
    this.registry = this.table('Registry', registryTable, retain);
    const streamArn = this.audit.tableStreamArn;
    if (streamArn === undefined) throw new Error('The audit table needs a stream');
    this.auditStreamArn = streamArn;
    this.consumerAccounts = checkedConsumerAccounts(this.node.path, props.consumerAccounts ?? []);
    allowConsumerAccounts(this.tokens, this.key, this.consumerAccounts);
  }

  get tokensTableName(): string {
    return this.tokens.tableName;
  }

  /**
   * The audit table as a stream consumer in `scope` sees it (`<scope>/AuditStream`): its stream
   * without its key, so an event source on it grants the stream reads only and no
   * unconditioned kms:Decrypt; grantAuditStreamRead grants the key through DynamoDB.
   */
  auditStreamIn(scope: Construct): ITable {
    return Table.fromTableAttributes(scope, 'AuditStream', {
      tableArn: this.audit.tableArn,
      tableStreamArn: this.auditStreamArn,
    });
  }

  /**
   * The authorizer: read a token by its hash, and record its use (UpdateItem of the usage
   * attributes only, fine-grained access control).
   */
  grantAuthorizerRead(grantee: IGrantable): Grant {
    return grantAuthorizerAccess(grantee, {
      tableArn: this.tokens.tableArn,
      keyArn: this.key.keyArn,
      region: Stack.of(this.key).region,
    });
  }

  /** Read token items by key, and query `indexes`; decrypt only. */
  grantTokenRead(grantee: IGrantable, indexes: readonly TokenIndexName[] = []): Grant {
    return this.grantTokens(grantee, ITEM_READ_ACTIONS, indexes, KEY_READ_ACTIONS);
  }

  /** Read token items and change them in place (never create one), and query `indexes`. */
  grantTokenUpdate(grantee: IGrantable, indexes: readonly TokenIndexName[] = []): Grant {
    return this.grantTokens(grantee, ITEM_UPDATE_ACTIONS, indexes, KEY_READ_WRITE_ACTIONS);
  }

  /** Read, create and change token items (conditional transactions), and query `indexes`. */
  grantTokenReadWrite(grantee: IGrantable, indexes: readonly TokenIndexName[] = []): Grant {
    return this.grantTokens(grantee, ITEM_READ_WRITE_ACTIONS, indexes, KEY_READ_WRITE_ACTIONS);
  }

  /** Append audit events; nothing else on the audit table. */
  grantAuditAppend(grantee: IGrantable): Grant {
    return this.grantOn(grantee, this.audit, ITEM_APPEND_ACTIONS, [], KEY_READ_WRITE_ACTIONS);
  }

  /** Query audit events: by target (the table) and by day (its ByDay index). */
  grantAuditRead(grantee: IGrantable): Grant {
    const byDay = `${this.audit.tableArn}/index/${AUDIT_INDEX.byDay}`;
    return this.grantOn(grantee, this.audit, QUERY_ACTIONS, [byDay], KEY_READ_ACTIONS);
  }

  /**
   * Register and deregister protected APIs: PutItem and DeleteItem on the registry table, and
   * nothing else (no read, no other table).
   */
  grantRegistryWrite(grantee: IGrantable): Grant {
    return this.grantOn(grantee, this.registry, REGISTRY_WRITE_ACTIONS, [], KEY_READ_WRITE_ACTIONS);
  }

  /** Query the registry (its one partition); decrypt only. */
  grantRegistryRead(grantee: IGrantable): Grant {
    return this.grantOn(grantee, this.registry, QUERY_ACTIONS, [], KEY_READ_ACTIONS);
  }

  /** Read the audit table's stream (what an event source on it needs); decrypt only. */
  grantAuditStreamRead(grantee: IGrantable): Grant {
    return new StreamGrants({ tableStreamArn: this.auditStreamArn })
      .read(grantee)
      .combine(grantKeyVia(grantee, this.key, 'dynamodb', KEY_READ_ACTIONS));
  }

  /** The ARN of one of the token table's indexes. */
  tokenIndexArn(index: TokenIndexName): string {
    return `${this.tokens.tableArn}/index/${index}`;
  }

  private grantTokens(
    grantee: IGrantable,
    itemActions: string[],
    indexes: readonly TokenIndexName[],
    keyActions: readonly string[],
  ): Grant {
    const indexArns = indexes.map((index) => this.tokenIndexArn(index));
    return this.grantOn(grantee, this.tokens, itemActions, indexArns, keyActions);
  }

  /**
   * The one shape of every grant here: `itemActions` on `table`, Query on `indexArns` (if any),
   * and the table key through DynamoDB only.
   */
  private grantOn(
    grantee: IGrantable,
    table: { readonly tableArn: string },
    itemActions: string[],
    indexArns: readonly string[],
    keyActions: readonly string[],
  ): Grant {
    let grant = Grant.addToPrincipal({
      grantee,
      actions: itemActions,
      resourceArns: [table.tableArn],
    });
    if (indexArns.length > 0) {
      grant = grant.combine(
        Grant.addToPrincipal({ grantee, actions: QUERY_ACTIONS, resourceArns: [...indexArns] }),
      );
    }
    return grant.combine(grantKeyVia(grantee, this.key, 'dynamodb', keyActions));
  }

  private table(id: string, def: TableDefinition, retain: boolean): Table {
    // Table rather than TableV2: TableV2 cannot render a customer-managed key in a
    // region-agnostic stack, and this stack must synthesize without an account or region.
    const table = new Table(this, id, {
      partitionKey: attribute(def.partitionKey),
      ...(def.sortKey === undefined ? {} : { sortKey: attribute(def.sortKey) }),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      ...(def.ttlAttribute === undefined ? {} : { timeToLiveAttribute: def.ttlAttribute }),
      ...(def.stream === undefined ? {} : { stream: StreamViewType[def.stream] }),
    });
    for (const index of def.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
        projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
      });
    }
    return table;
  }
}

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
