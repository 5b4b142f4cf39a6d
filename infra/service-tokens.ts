import {
  policyFor,
  rotationPoliciesSchema,
  type RotationPolicies,
  type RotationPolicy,
} from '../shared/token/rotation-policy';
import { Aspects, Duration } from 'aws-cdk-lib';
import { DEFAULT_TOKEN_PREFIX } from '../shared/token/format';
import { Construct } from 'constructs';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import { AlertTopic, type AlertSubscription } from './alert-topic';
import { ApiRegistry } from './api-registry';
import { RotatedServiceToken } from './rotated-service-token';
import { TokenRotation } from './token-rotation';
import { TokenApi } from './token-api';
import { CheckovSkips } from './checkov';
import { LeakIntake, type LeakResponseOptions } from './leak-intake';
import { LifecycleEvents } from './lifecycle-events';
import { TokenLogMasking } from './log-masking';
import { Operations } from './operations';
import { StageFlusher } from './stage-flusher';
import { TokenSchedules } from './token-schedules';
import { TokenTables } from './token-tables';
import { addOutputs } from './platform-outputs';

export interface ServiceTokensProps {
  /**
   * Token prefix of this deployment, e.g. `sk_` or `sk_test_`.
   * @default 'sk_'
   */
  readonly tokenPrefix?: string;
  /**
   * Keep tables on stack deletion; set false only for throwaway stages.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * API Gateway's authorizer cache (0 to 3600 seconds).
   * @default Duration.seconds(300)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * The authorizer's in-process record cache (whole seconds, 0 = off).
   * @default Duration.seconds(0)
   */
  readonly localCacheTtl?: Duration;
  /**
   * A regional WAFv2 web ACL to associate with the API's stage.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * How long a rotated-out token keeps working; `Duration.seconds(0)` cuts over at once.
   * @default Duration.days(7)
   */
  readonly rotationGracePeriod?: Duration;
  /**
   * Service tokens kept in Secrets Manager and rotated by this stack.
   * @default - none
   */
  readonly serviceTokens?: readonly ServiceTokenSpec[];
  /**
   * E-mail and HTTPS subscribers of the alert topic, optionally filtered.
   * @default - none
   */
  readonly alertSubscriptions?: readonly AlertSubscription[];
  /**
   * When the expiry alert run starts.
   * @default - every hour
   */
  readonly alertSchedule?: Schedule;
  /**
   * When the cleanup run starts.
   * @default - daily at 03:17 UTC
   */
  readonly cleanupSchedule?: Schedule;
  /**
   * How long an ended token's item is kept before TTL deletes it (whole days).
   * @default Duration.days(90)
   */
  readonly tokenRetention?: Duration;
  /**
   * How long the lifecycle event archive keeps events for replay.
   * @default Duration.days(90)
   */
  readonly eventArchiveRetention?: Duration;
  /**
   * When tokens are due for rotation: a default and per-owner policies (`rotateAfterDays`,
   * optional `highUsage: { usesPerDay, rotateAfterDays }`). The alert run reports due tokens;
   * service tokens in Secrets Manager rotate on their owner's `rotateAfterDays` unless they set
   * their own.
   * @default - 90 days, 30 for tokens used more than 10,000 times a day
   */
  readonly rotationPolicy?: {
    readonly default?: RotationPolicy;
    readonly owners?: Readonly<Record<string, RotationPolicy>>;
  };
  /**
   * AWS accounts whose consumer authorizers may read the token table (the authorizer's read and
   * usage update only) and use its key through DynamoDB. Adds the TokensTableArn and
   * TokensKeyArn outputs they build their authorizers from (`TokenTables.fromArns`).
   * @default - none
   */
  readonly consumerAccounts?: readonly string[];
  /**
   * The leak intake's policy for a reported live token, and GitHub's keys URL.
   * @default - revoke; GitHub's published secret-scanning keys
   */
  readonly leakResponse?: LeakResponseOptions;
}

export interface ServiceTokenSpec {
  /** Construct id of the token's RotatedServiceToken. */
  readonly id: string;
  /** Name of each token the secret holds. */
  readonly name: string;
  /** The owner recorded on each token (whose policy and alerts apply). */
  readonly owner: string;
  /** The scopes of each token; checked against the scope grammar at synth. */
  readonly scopes: readonly string[];
  /**
   * Rotation interval of the secret.
   * @default - the owner's `rotateAfterDays` in the rotation policy
   */
  readonly rotateAfter?: Duration;
  /**
   * Lifetime of each token.
   * @default - the larger of 90 days and rotateAfter + grace period + 7 days
   */
  readonly lifetime?: Duration;
}

/** The stack's rotation policies, validated at synth: a bad entry fails `cdk synth`. */
function parseRotationPolicies(input: ServiceTokensProps['rotationPolicy']): RotationPolicies {
  const parsed = rotationPoliciesSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`Invalid rotationPolicy: ${problems.join('; ')}`);
}

/**
 * The service-token platform as a construct, for a team's own stack: token and audit tables,
 * the registry of protected APIs, the management API and its authorizer, rotation, schedules,
 * lifecycle events, the stage flusher, alerts and operations. Each concern is its own
 * construct; this one composes them.
 *
 * ```ts
 * const platform = new ServiceTokens(this, 'Tokens', { consumerAccounts: ['111122223333'] });
 * new RestApiTokenAuthorizer(this, 'OrdersAuth', {
 *   tables: platform.tables,
 *   registry: platform.registry,
 * });
 * ```
 */
export class ServiceTokens extends Construct {
  readonly tables: TokenTables;
  /** The registry every consumer authorizer registers its API with (its `registry` prop). */
  readonly registry: ApiRegistry;
  readonly api: TokenApi;
  readonly rotation: TokenRotation;
  readonly serviceTokens: RotatedServiceToken[];
  readonly alerts: AlertTopic;
  readonly lifecycle: LifecycleEvents;
  readonly schedules: TokenSchedules;
  readonly stageFlusher: StageFlusher;
  readonly operations: Operations;
  /** `POST /leaks/github` and `POST /leaks`: leaked tokens reported by secret scanners. */
  readonly leaks: LeakIntake;

  constructor(scope: Construct, id: string, props: ServiceTokensProps = {}) {
    super(scope, id);
    const tables = (this.tables = new TokenTables(this, 'Tables', {
      retain: props.retainData ?? true,
      consumerAccounts: props.consumerAccounts,
    }));
    this.alerts = new AlertTopic(this, 'Alerts', { subscriptions: props.alertSubscriptions });
    this.registry = new ApiRegistry(this, 'Registry', { tables });
    const policies = parseRotationPolicies(props.rotationPolicy);
    this.api = new TokenApi(this, 'Api', {
      tables,
      rotationPolicies: policies,
      retention: props.tokenRetention,
      tokenPrefix: props.tokenPrefix,
      authorizerCacheTtl: props.authorizerCacheTtl,
      localCacheTtl: props.localCacheTtl,
      webAclArn: props.webAclArn,
    });
    this.rotation = new TokenRotation(this, 'Rotation', {
      tables,
      tokenPrefix: props.tokenPrefix,
      gracePeriod: props.rotationGracePeriod,
      retention: props.tokenRetention,
      rotationPolicies: policies,
    });
    this.serviceTokens = (props.serviceTokens ?? []).map((token) =>
      this.rotatedToken(token, policies),
    );
    this.schedules = new TokenSchedules(this, 'Schedules', {
      tables,
      alerts: this.alerts,
      alertSchedule: props.alertSchedule,
      cleanupSchedule: props.cleanupSchedule,
      retention: props.tokenRetention,
      rotationPolicies: policies,
      rotatedSecrets: {
        secretArns: this.serviceTokens.map((token) => token.secret.secretArn),
        rotationFunction: this.rotation.fn.function,
      },
    });
    this.lifecycle = new LifecycleEvents(this, 'Lifecycle', {
      tables,
      alerts: this.alerts,
      archiveRetention: props.eventArchiveRetention,
    });
    this.leaks = new LeakIntake(this, 'Leaks', {
      tables,
      alerts: this.alerts,
      api: this.api.api,
      tokenPrefix: props.tokenPrefix,
      retention: props.tokenRetention,
      ...props.leakResponse,
    });
    this.stageFlusher = new StageFlusher(this, 'StageFlusher', {
      bus: this.lifecycle.bus,
      alerts: this.alerts,
      platformApi: this.api.api,
      platformStageName: this.api.api.deploymentStage.stageName,
    });
    this.stageFlusher.readRegistryWith((role) => tables.grantRegistryRead(role), {
      REGISTRY_TABLE_NAME: tables.registry.tableName,
    });
    this.operations = this.operationsView();
    Aspects.of(this).add(new CheckovSkips());
    Aspects.of(this).add(new TokenLogMasking(props.tokenPrefix ?? DEFAULT_TOKEN_PREFIX));
    addOutputs(this);
  }

  /** The dashboard, alarms and runbook links over every function of the platform. */
  private operationsView(): Operations {
    return new Operations(this, 'Operations', {
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
        StageFlusher: this.stageFlusher.fn,
        ApiRegistry: this.registry.provider,
        LeakIntake: this.leaks.fn,
      },
    });
  }

  /**
   * A service token in Secrets Manager. Its schedule follows its owner's policy (heavy use is
   * handled by the alert run); its lifetime outlives the schedule plus the grace period, with a
   * week to spare.
   */
  private rotatedToken(token: ServiceTokenSpec, policies: RotationPolicies): RotatedServiceToken {
    const rotateAfter =
      token.rotateAfter ??
      Duration.days(policyFor({ owner: token.owner }, policies).policy.rotateAfterDays);
    const days = (duration: Duration) => duration.toDays({ integral: false });
    const lifetime =
      token.lifetime ??
      Duration.days(Math.max(90, days(rotateAfter) + days(this.rotation.gracePeriod) + 7));
    return new RotatedServiceToken(this, token.id, {
      rotation: this.rotation,
      alerts: this.alerts,
      name: token.name,
      owner: token.owner,
      scopes: token.scopes,
      rotateAfter,
      lifetime,
    });
  }
}
