import {
  policyFor,
  rotationPoliciesSchema,
  type RotationPolicies,
  type RotationPolicy,
} from '../shared/token/rotation-policy';
import { Aspects, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import type { Route } from '../shared/authz/routes';
import { AlertTopic, type AlertSubscription } from './alert-topic';
import { RotatedServiceToken } from './rotated-service-token';
import { DEFAULT_ROUTES } from './routes';
import { TokenRotation } from './token-rotation';
import { TokenApi } from './token-api';
import { CheckovSkips } from './checkov';
import { LifecycleEvents } from './lifecycle-events';
import { Operations } from './operations';
import { TokenSchedules } from './token-schedules';
import { TokenTables } from './token-tables';
import { DEFAULT_GRACE_DAYS, DEFAULT_RETENTION_DAYS } from '../shared/defaults';

export interface ServiceTokensStackProps extends StackProps {
  /** Token prefix of this deployment, e.g. `sk_` or `sk_test_`. */
  readonly tokenPrefix?: string;
  /** Keep tables on stack deletion. Default true; set false only for throwaway stages. */
  readonly retainData?: boolean;
  /** Backend routes with their scopes (the management API routes are always added). Default: infra/routes.ts. */
  readonly routes?: readonly Route[];
  /** API Gateway authorizer cache TTL in seconds (0–3600). Default 300. */
  readonly authorizerCacheSeconds?: number;
  /** The authorizer's in-process record cache in seconds. Default 0 (off). */
  readonly localCacheSeconds?: number;
  readonly webAclArn?: string;
  /** How long a rotated-out token keeps working. Default 7 days; 0 = immediate cut-over. */
  readonly rotationGraceDays?: number;
  /** Service tokens kept in Secrets Manager and rotated by this stack. */
  readonly serviceTokens?: readonly ServiceTokenSpec[];
  /** E-mail and HTTPS subscribers of the alert topic, optionally filtered. */
  readonly alertSubscriptions?: readonly AlertSubscription[];
  /** When the expiry alert run starts. Default: every hour. */
  readonly alertSchedule?: Schedule;
  /** When the cleanup run starts. Default: daily at 03:17 UTC. */
  readonly cleanupSchedule?: Schedule;
  /** Days an ended token's item is kept before TTL deletes it. Default 90. */
  readonly tokenRetentionDays?: number;
  /** How long the lifecycle event archive keeps events for replay. Default 90 days. */
  readonly eventArchiveDays?: number;
  /**
   * When tokens are due for rotation: a default and per-owner policies (`rotateAfterDays`,
   * optional `highUsage: { usesPerDay, rotateAfterDays }`). Default: 90 days, 30 for tokens
   * used more than 10,000 times a day. The alert run reports due tokens; service tokens in
   * Secrets Manager rotate on their owner's `rotateAfterDays` unless they set their own.
   */
  readonly rotationPolicy?: {
    readonly default?: RotationPolicy;
    readonly owners?: Readonly<Record<string, RotationPolicy>>;
  };
}

export interface ServiceTokenSpec {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly rotateAfterDays?: number;
  readonly lifetimeDays?: number;
}

/** The stack's rotation policies, validated at synth: a bad entry fails `cdk synth`. */
function parseRotationPolicies(input: ServiceTokensStackProps['rotationPolicy']): RotationPolicies {
  const parsed = rotationPoliciesSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`Invalid rotationPolicy: ${problems.join('; ')}`);
}

/** The service-token platform. Each concern is its own construct; this stack composes them. */
export class ServiceTokensStack extends Stack {
  readonly tables: TokenTables;
  readonly api: TokenApi;
  readonly rotation: TokenRotation;
  readonly serviceTokens: RotatedServiceToken[];
  readonly alerts: AlertTopic;
  readonly lifecycle: LifecycleEvents;
  readonly schedules: TokenSchedules;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: ServiceTokensStackProps = {}) {
    super(scope, id, props);
    this.tables = new TokenTables(this, 'Tables', { retain: props.retainData ?? true });
    this.alerts = new AlertTopic(this, 'Alerts', { subscriptions: props.alertSubscriptions });
    this.api = new TokenApi(this, 'Api', {
      tokensTable: this.tables.tokens,
      auditTable: this.tables.audit,
      tableKey: this.tables.key,
      routes: props.routes ?? DEFAULT_ROUTES,
      retentionDays: props.tokenRetentionDays ?? DEFAULT_RETENTION_DAYS,
      tokenPrefix: props.tokenPrefix,
      authorizerCacheTtl: Duration.seconds(props.authorizerCacheSeconds ?? 300),
      localCacheTtlSeconds: props.localCacheSeconds,
      webAclArn: props.webAclArn,
    });
    this.rotation = new TokenRotation(this, 'Rotation', {
      tokensTable: this.tables.tokens,
      auditTable: this.tables.audit,
      tableKey: this.tables.key,
      tokenPrefix: props.tokenPrefix,
      gracePeriod: Duration.days(props.rotationGraceDays ?? DEFAULT_GRACE_DAYS),
      retention: Duration.days(props.tokenRetentionDays ?? DEFAULT_RETENTION_DAYS),
    });
    const policies = parseRotationPolicies(props.rotationPolicy);
    const graceDays = props.rotationGraceDays ?? DEFAULT_GRACE_DAYS;
    this.serviceTokens = (props.serviceTokens ?? []).map((token) => {
      // The secret's schedule follows its owner's policy; heavy use is handled by the alert run.
      const rotateAfterDays =
        token.rotateAfterDays ?? policyFor({ owner: token.owner }, policies).policy.rotateAfterDays;
      return new RotatedServiceToken(this, token.id, {
        rotation: this.rotation,
        alerts: this.alerts,
        name: token.name,
        owner: token.owner,
        scopes: token.scopes,
        rotateAfter: Duration.days(rotateAfterDays),
        // Long enough to outlive the schedule plus the grace period, with a week to spare.
        lifetime: Duration.days(
          token.lifetimeDays ?? Math.max(90, rotateAfterDays + graceDays + 7),
        ),
      });
    });
    this.schedules = new TokenSchedules(this, 'Schedules', {
      tokensTable: this.tables.tokens,
      auditTable: this.tables.audit,
      tableKey: this.tables.key,
      alerts: this.alerts,
      alertSchedule: props.alertSchedule,
      cleanupSchedule: props.cleanupSchedule,
      retention: Duration.days(props.tokenRetentionDays ?? DEFAULT_RETENTION_DAYS),
      rotationPolicies: policies,
      rotatedSecrets: {
        secretArns: this.serviceTokens.map((token) => token.secret.secretArn),
        rotationFunction: this.rotation.fn.function,
      },
    });
    this.lifecycle = new LifecycleEvents(this, 'Lifecycle', {
      tokensTable: this.tables.tokens,
      auditTable: this.tables.audit,
      tableKey: this.tables.key,
      alerts: this.alerts,
      archiveRetention: Duration.days(props.eventArchiveDays ?? 90),
    });
    this.operations = new Operations(this, 'Operations', {
      alarmTopic: this.alerts.topic,
      tokensTable: this.tables.tokens,
      authorizer: this.api.authorizerFunction,
      functions: {
        Authorizer: this.api.authorizerFunction,
        Management: this.api.managementFunction,
        Rotation: this.rotation.fn,
        ExpiryAlerts: this.schedules.alertRun.fn,
        Cleanup: this.schedules.cleanupRun.fn,
        LifecycleEvents: this.lifecycle.relay,
      },
    });
    Aspects.of(this).add(new CheckovSkips());
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url });
    new CfnOutput(this, 'TokensTableName', { value: this.tables.tokens.tableName });
    new CfnOutput(this, 'AuditTableName', { value: this.tables.audit.tableName });
    new CfnOutput(this, 'LifecycleEventBusName', { value: this.lifecycle.bus.eventBusName });
    new CfnOutput(this, 'LifecycleEventBusArn', { value: this.lifecycle.bus.eventBusArn });
  }
}
