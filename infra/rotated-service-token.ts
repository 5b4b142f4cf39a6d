import { Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { CfnRotationSchedule, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ALERT_SCHEMA_VERSION } from '../shared/alerts/messages';
import type { SecretSpec } from '../shared/rotation/secret-value';
import { specProblems } from '../shared/token/labels';
import { grantKeyVia } from './kms-grants';
import type { AlertTopic } from './alert-topic';
import type { TokenRotation } from './token-rotation';

export interface RotatedServiceTokenProps {
  readonly rotation: TokenRotation;
  /** Name, owner and scopes of the tokens this secret will hold. */
  readonly name: string;
  readonly owner: string;
  /** Each must match the scope grammar (shared/token/scope.ts); checked at synth. */
  readonly scopes: readonly string[];
  /** Rotation interval (4 hours to 1000 days). Default 30 days. */
  readonly rotateAfter?: Duration;
  /** Lifetime of each token. Default 90 days; must exceed rotateAfter plus the grace period. */
  readonly lifetime?: Duration;
  readonly encryptionKey?: IKey;
  /** Where a failed or abandoned rotation of this secret is reported (severity critical). */
  readonly alerts?: AlertTopic;
}

/**
 * A Secrets Manager secret holding a service token that rotates itself. The token's spec
 * (name, owner, scopes, lifetime) goes to the rotation Lambda's configuration, not into the
 * secret: the secret starts as `{}` and the first rotation, which starts as soon as the secret
 * exists, issues the first token. No plaintext token is ever in CDK code or CloudFormation.
 * Consumers read AWSCURRENT as JSON: `{ token, tokenId, expiresAt, name, owner, scopes,
 * lifetimeDays }`.
 */
export class RotatedServiceToken extends Construct {
  readonly secret: Secret;
  readonly key: IKey;

  constructor(scope: Construct, id: string, props: RotatedServiceTokenProps) {
    super(scope, id);
    const problems = specProblems(props);
    if (problems.length > 0) {
      throw new Error(`RotatedServiceToken ${this.node.path}: ${problems.join('; ')}`);
    }
    const rotateAfter = props.rotateAfter ?? Duration.days(30);
    const lifetime = props.lifetime ?? Duration.days(90);
    const hours = rotateAfter.toHours({ integral: false });
    if (hours < 4 || hours > 24_000) {
      throw new Error(`rotateAfter must be between 4 hours and 1000 days, got ${hours} hours`);
    }
    const needed =
      rotateAfter.toHours({ integral: false }) +
      props.rotation.gracePeriod.toHours({ integral: false });
    if (lifetime.toHours({ integral: false }) <= needed) {
      throw new Error(
        `lifetime (${lifetime.toDays({ integral: false })} days) must exceed rotateAfter plus the grace period, or tokens expire before they are rotated`,
      );
    }
    const spec: SecretSpec = {
      name: props.name,
      owner: props.owner,
      scopes: [...props.scopes],
      lifetimeDays: Math.ceil(lifetime.toDays({ integral: false })),
    };

    this.key =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: `Encrypts the ${props.name} service token`,
        enableKeyRotation: true,
      });
    this.secret = new Secret(this, 'Secret', {
      description: `Service token ${props.name} of ${props.owner}, rotated by ${Stack.of(this).stackName}`,
      encryptionKey: this.key,
      // Not a secret, and constant: CloudFormation never rewrites the value after creation,
      // so a deploy cannot wipe a token. The first rotation writes the first token.
      secretStringValue: SecretValue.unsafePlainText('{}'),
    });
    props.rotation.registerSecret(this.secret.secretArn, spec);

    const fn = props.rotation.fn.function;
    // Secrets Manager may invoke the rotation function for this secret of this account only.
    const permission = new CfnPermission(this, 'InvokeRotation', {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: Stack.of(this).account,
      sourceArn: this.secret.secretArn,
    });
    props.rotation.fn.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [this.secret.secretArn],
      }),
    );
    grantKeyVia(props.rotation.fn.role, this.key, 'secretsmanager');

    const schedule = new CfnRotationSchedule(this, 'Rotation', {
      secretId: this.secret.secretArn,
      rotationLambdaArn: fn.functionArn,
      rotationRules: {
        scheduleExpression: hours % 24 === 0 ? `rate(${hours / 24} days)` : `rate(${hours} hours)`,
      },
      rotateImmediatelyOnUpdate: true,
    });
    // Secrets Manager invokes the function as soon as the schedule exists.
    schedule.node.addDependency(permission);
    schedule.node.addDependency(props.rotation.fn.role);
    if (props.alerts !== undefined) this.alertOnFailure(props.alerts, spec);
  }

  /**
   * Secrets Manager reports a failed or abandoned rotation as a CloudTrail service event; a rule
   * turns it into a critical alert for this secret's owner, with no Lambda in between.
   */
  private alertOnFailure(alerts: AlertTopic, spec: SecretSpec): void {
    const eventName = EventField.fromPath('$.detail.eventName');
    new Rule(this, 'RotationFailed', {
      description: `Alerts when rotation of the ${spec.name} service token fails`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed', 'RotationAbandoned'],
          additionalEventData: { SecretId: [this.secret.secretArn] },
        },
      },
      targets: [
        new SnsTopic(alerts.topic, {
          message: RuleTargetInput.fromObject({
            summary: `Rotation of the ${spec.name} service token of ${spec.owner} failed (${eventName}). The current token keeps working until it expires; fix the cause and rotate again.`,
            kind: 'rotation-failed',
            severity: 'critical',
            owner: spec.owner,
            alertId: EventField.eventId,
            version: ALERT_SCHEMA_VERSION,
            secret: { arn: this.secret.secretArn, tokenName: spec.name },
            event: eventName,
            time: EventField.time,
            account: EventField.account,
            region: EventField.region,
            whatToDo:
              "Read the rotation Lambda's log for this secret (it logs the failed step), check " +
              'for a leftover AWSPENDING version (aws secretsmanager describe-secret), then run ' +
              `"Rotate secret immediately" (aws secretsmanager rotate-secret --secret-id ${this.secret.secretArn}).`,
          }),
          // Already granted (with kms:ViaService); keep CDK from adding a broader key grant.
          role: alerts.eventsRole.withoutPolicyUpdates(),
          deadLetterQueue: alerts.deliveryDeadLetters.queue,
          retryAttempts: 8,
        }),
      ],
    });
  }

  /** Let a consuming service read the current token. */
  grantRead(grantee: IGrantable): void {
    this.secret.grantRead(grantee);
  }
}
