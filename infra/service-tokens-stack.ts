import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TokenTables } from './token-tables';

export interface ServiceTokensStackProps extends StackProps {
  /** Token prefix of this deployment, e.g. `sk_` or `sk_test_`. */
  readonly tokenPrefix?: string;
  /** Keep tables on stack deletion. Default true; set false only for throwaway stages. */
  readonly retainData?: boolean;
}

/** The service-token platform. Each concern is its own construct; this stack composes them. */
export class ServiceTokensStack extends Stack {
  readonly tables: TokenTables;

  constructor(scope: Construct, id: string, props: ServiceTokensStackProps = {}) {
    super(scope, id, props);
    this.tables = new TokenTables(this, 'Tables', { retain: props.retainData ?? true });
    new CfnOutput(this, 'TokensTableName', { value: this.tables.tokens.tableName });
    new CfnOutput(this, 'AuditTableName', { value: this.tables.audit.tableName });
  }
}
