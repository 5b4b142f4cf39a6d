import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { TOKEN_INDEX } from '../shared/store/schema';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import type { SecretSpec } from '../shared/rotation/secret-value';
import { ServiceFunction } from './service-function';
import { DEFAULT_GRACE_DAYS } from '../shared/defaults';
import {
  policiesEnvironment,
  retentionDays,
  type TokenRetentionProps,
  type TokenTables,
} from './token-tables';
import type { RotationPolicies } from '../shared/token/rotation-policy';

export interface TokenRotationProps extends TokenRetentionProps {
  /** The tables the rotated tokens and their audit events are written to. */
  readonly tables: TokenTables;
  /**
   * Prefix of the tokens it issues.
   * @default 'sk_'
   */
  readonly tokenPrefix?: string;
  /**
   * How long a rotated-out token keeps working; `Duration.seconds(0)` cuts over at once.
   * @default Duration.days(7)
   */
  readonly gracePeriod?: Duration;
  /**
   * The deployment's rotation policies (already validated): new tokens' due-index dates follow
   * them.
   * @default - the functions' default: 90 days, 30 under heavy use
   */
  readonly rotationPolicies?: RotationPolicies;
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
    this.gracePeriod = props.gracePeriod ?? Duration.days(DEFAULT_GRACE_DAYS);
    this.fn = new ServiceFunction(this, 'Function', {
      entry: join(import.meta.dirname, '../functions/rotation.ts'),
      description: 'Rotates service tokens held in Secrets Manager',
      timeout: Duration.seconds(30),
      environment: {
        TOKENS_TABLE_NAME: props.tables.tokens.tableName,
        AUDIT_TABLE_NAME: props.tables.audit.tableName,
        TOKEN_PREFIX: props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX,
        GRACE_PERIOD_DAYS: String(this.gracePeriod.toDays({ integral: false })),
        RETENTION_DAYS: retentionDays(props),
        ...policiesEnvironment(props.rotationPolicies),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    // Conditional transactions on token items; ByTokenId resolves a token by id, BySecret is
    // finishSecret's sweep of the tokens of one secret.
    props.tables.grantTokenReadWrite(this.fn.role, [TOKEN_INDEX.byTokenId, TOKEN_INDEX.bySecret]);
    props.tables.grantAuditAppend(this.fn.role);
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
