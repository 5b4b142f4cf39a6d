import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AuthorizationType, LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { LeakPolicy } from '../shared/leaks/policy';
import { DEFAULT_GITHUB_KEYS_URL } from '../shared/leaks/github-keys';
import { LEAK_ROUTES } from '../shared/leaks/routes';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import type { AlertTopic } from './alert-topic';
import { grantKeyVia, KEY_READ_ACTIONS } from './kms-grants';
import { PUBLIC_ROUTE_RATE } from './rest-api';
import { ServiceFunction } from './service-function';
import { retentionDays, type TokenRetentionProps, type TokenTables } from './token-tables';

/** How the platform answers a leaked token. */
export interface LeakResponseOptions {
  /**
   * What a leaked live token gets: `revoke` (it stops working) or `notify` (its owner is
   * alerted; it works until someone revokes it).
   * @default 'revoke'
   */
  readonly policy?: LeakPolicy;
  /**
   * GitHub's secret-scanning public keys document.
   * @default 'https://api.github.com/meta/public_keys/secret_scanning'
   */
  readonly githubKeysUrl?: string;
}

export interface LeakIntakeProps extends TokenRetentionProps, LeakResponseOptions {
  readonly tables: TokenTables;
  readonly alerts: AlertTopic;
  /** The platform's REST API: the intake's two routes go on it, without the authorizer. */
  readonly api: RestApi;
  /**
   * Prefix of this deployment's tokens.
   * @default 'sk_'
   */
  readonly tokenPrefix?: string;
}

/**
 * The leak intake: `POST /leaks/github` (GitHub's secret scanning partner protocol, ECDSA
 * signed) and `POST /leaks` (other scanners, HMAC-SHA256 with the shared secret `webhookSecret`),
 * served by a function of its own. It may read a token item by hash and change it (the leak
 * record, the revoke path's conditional writes), append audit events, publish to the alert
 * topic and read its one secret: nothing else. TokenLeaked and TokenRevoked reach the bus from
 * the audit stream like every lifecycle event, so the function needs no PutEvents.
 */
export class LeakIntake extends Construct {
  readonly fn: ServiceFunction;
  /** The HMAC key of `POST /leaks`: share it with the scanners that report there. */
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: LeakIntakeProps) {
    super(scope, id);
    const key = new Key(this, 'SecretKey', {
      description: 'Encrypts the leak intake webhook secret',
      enableKeyRotation: true,
    });
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: 'HMAC-SHA256 key of POST /leaks (the generic leak intake)',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A key shared with external scanners: rotating it means reconfiguring them, so it is rotated by hand (README, Leak response).',
    });
    // Whoever serves the keys document decides which signatures are GitHub's.
    if (props.githubKeysUrl !== undefined && !props.githubKeysUrl.startsWith('https://')) {
      throw new Error(`leakResponse.githubKeysUrl must be https: ${props.githubKeysUrl}`);
    }
    this.fn = new ServiceFunction(this, 'Function', {
      entry: join(import.meta.dirname, '../functions/leak-intake.ts'),
      description: 'Takes leaked-token reports from secret scanners',
      timeout: Duration.seconds(29),
      environment: {
        TOKENS_TABLE_NAME: props.tables.tokens.tableName,
        AUDIT_TABLE_NAME: props.tables.audit.tableName,
        TOKEN_PREFIX: props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX,
        RETENTION_DAYS: retentionDays(props),
        LEAK_POLICY: props.policy ?? 'revoke',
        GITHUB_KEYS_URL: props.githubKeysUrl ?? DEFAULT_GITHUB_KEYS_URL,
        WEBHOOK_SECRET_ID: this.webhookSecret.secretArn,
        ALERT_TOPIC_ARN: props.alerts.topic.topicArn,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    // By hash only: GetItem and UpdateItem, no index (the revoke path's transaction names
    // its items by key).
    props.tables.grantTokenUpdate(this.fn.role);
    props.tables.grantAuditAppend(this.fn.role);
    props.alerts.grantPublish(this.fn.role);
    this.fn.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.webhookSecret.secretArn],
      }),
    );
    grantKeyVia(this.fn.role, key, 'secretsmanager', KEY_READ_ACTIONS);
    this.addRoutes(props.api);
  }

  private addRoutes(api: RestApi): void {
    const integration = new LambdaIntegration(this.fn.function);
    for (const route of Object.values(LEAK_ROUTES)) {
      const method = api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizationType: AuthorizationType.NONE,
        methodResponses: [{ statusCode: '200' }],
      });
      const reason = `${route.method} ${route.path} has no authorizer by design: secret scanners call it, and it verifies each request's signature over the raw body itself; throttled to ${String(PUBLIC_ROUTE_RATE)} requests/s.`;
      for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(method).acknowledge({ id: rule, reason });
      }
    }
  }
}
