import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  StreamViewType,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  auditTable,
  tokenTable,
  type KeyAttribute,
  type TableDefinition,
} from '../shared/store/schema';

export interface TokenTablesProps {
  /** Keep the tables (and refuse deletes) when the stack goes away. Default: true. */
  readonly retain?: boolean;
}

/**
 * The token table and the audit table, both derived from shared/store/schema.ts: on-demand,
 * point-in-time recovery, deletion protection, encrypted with one customer-managed KMS key so
 * access to the data can be audited and withdrawn by key policy.
 */
export class TokenTables extends Construct {
  readonly tokens: Table;
  readonly audit: Table;
  readonly key: Key;

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
      timeToLiveAttribute: def.ttlAttribute,
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
