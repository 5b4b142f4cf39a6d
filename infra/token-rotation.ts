import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { TOKEN_INDEX } from '../shared/store/schema';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import type { SecretSpec } from '../shared/rotation/secret-value';
import { grantKeyVia } from './kms-grants';
import { ServiceFunction } from './service-function';
import { DEFAULT_RETENTION_DAYS } from '../shared/defaults';

export interface TokenRotationProps {
  readonly tokensTable: ITable;
  readonly auditTable: ITable;
  readonly tableKey: IKey;
  readonly tokenPrefix?: string;
  /** How long a rotated-out token keeps working (0 = immediate cut-over). Default 7 days. */
  readonly gracePeriod?: Duration;
  /** How long an ended token's item is kept before TTL deletes it. Default 90 days. */
  readonly retention?: Duration;
}

/**
 * The one rotation Lambda of the stack; every RotatedServiceToken points its schedule at it.
 * It may read and write token items (conditional transactions), find a token by id, list the
 * tokens of a secret, and append audit events; nothing else in DynamoDB.
 */
export class TokenRotation extends Construct {
  readonly fn: ServiceFunction;
  readonly gracePeriod: Duration;
  private readonly specs: (SecretSpec & { secretArn: string })[] = [];

  constructor(scope: Construct, id: string, props: TokenRotationProps) {
    super(scope, id);
    this.gracePeriod = props.gracePeriod ?? Duration.days(7);
    this.fn = new ServiceFunction(this, 'Function', {
      entry: join(import.meta.dirname, '../functions/rotation.ts'),
      description: 'Rotates service tokens held in Secrets Manager',
      timeout: Duration.seconds(30),
      environment: {
        TOKENS_TABLE_NAME: props.tokensTable.tableName,
        AUDIT_TABLE_NAME: props.auditTable.tableName,
        TOKEN_PREFIX: props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX,
        GRACE_PERIOD_DAYS: String(this.gracePeriod.toDays({ integral: false })),
        RETENTION_DAYS: String((props.retention ?? Duration.days(DEFAULT_RETENTION_DAYS)).toDays()),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    const role = this.fn.role;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.tokensTable.tableArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:Query'],
        // BySecret: finishSecret's sweep of the tokens of one secret.
        resources: [TOKEN_INDEX.byTokenId, TOKEN_INDEX.bySecret].map(
          (index) => `${props.tokensTable.tableArn}/index/${index}`,
        ),
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:PutItem'],
        resources: [props.auditTable.tableArn],
      }),
    );
    grantKeyVia(role, props.tableKey, 'dynamodb');
    // The specs of the stack's rotated tokens, keyed by secret ARN; resolved at synth.
    this.fn.function.addEnvironment(
      'TOKEN_SPECS',
      Lazy.string({ produce: () => Stack.of(this).toJsonString(this.specs) }),
    );
  }

  /** Make this function rotate `secretArn` into tokens of `spec`. */
  registerSecret(secretArn: string, spec: SecretSpec): void {
    this.specs.push({ secretArn, ...spec });
  }
}
