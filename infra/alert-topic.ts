import { Stack } from 'aws-cdk-lib';
import {
  Effect,
  Grant,
  PolicyStatement,
  Role,
  ServicePrincipal,
  type IGrantable,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  FilterOrPolicy,
  SubscriptionFilter,
  Subscription,
  SubscriptionProtocol,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SEVERITIES, type Severity } from '../shared/alerts/expiry-rules';
import { DeadLetterQueue } from './dead-letter-queue';
import { grantKeyVia } from './kms-grants';

/** One subscriber of the alert topic: an e-mail address or an HTTPS endpoint. */
export interface AlertSubscription {
  readonly email?: string;
  readonly url?: string;
  /** Only alerts of these severities. Default: all. */
  readonly severities?: readonly Severity[];
  /** Only alerts about tokens of these owners. Default: all. */
  readonly owners?: readonly string[];
}

/**
 * The alert topic: expiry alerts, rotation failures and the platform's alarms. KMS-encrypted
 * with its own key, TLS-only. Subscriptions filter on the message body (`severity`, `owner`),
 * which every alert carries; see shared/alerts/messages.ts for why not on attributes.
 * CloudWatch alarm notifications have no `severity`: they reach unfiltered subscriptions only.
 */
export class AlertTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  /** For EventBridge targets: `new SnsTopic(alerts.topic, { role: alerts.eventsRole })`. */
  readonly eventsRole: Role;
  private deadLetters: DeadLetterQueue | undefined;

  constructor(
    scope: Construct,
    id: string,
    props: { subscriptions?: readonly AlertSubscription[] },
  ) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.key = new Key(this, 'Key', {
      description: 'Encrypts the service-token alert topic',
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic with this key, for this
    // account's alarms only. (EventBridge publishes through `eventsRole` instead.)
    this.key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Service token alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish as the service, not as an account principal: they need an
    // allow in the topic policy (enforceSSL's policy replaces the default one), for this
    // account's alarms only.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: {
            'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${Stack.of(this).region}:${account}:alarm:*`,
          },
        },
      }),
    );
    // EventBridge rules publish with this role rather than through a topic policy statement
    // open to every rule: only rules of this account can assume it.
    this.eventsRole = new Role(this, 'EventsRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'Lets EventBridge rules publish to the service-token alert topic',
    });
    this.grantPublish(this.eventsRole);
    (props.subscriptions ?? []).forEach((subscription, index) => {
      this.subscribe(`Subscription${String(index + 1)}`, subscription);
    });
  }

  /**
   * Where EventBridge puts an alert it could not deliver to the topic (created on first use).
   * Its alarm notifies the same topic, so it only helps while the topic itself works.
   */
  get deliveryDeadLetters(): DeadLetterQueue {
    this.deadLetters ??= new DeadLetterQueue(this, 'DeliveryDeadLetters', {
      purpose: 'An alert EventBridge could not deliver to the alert topic',
      alarmTopic: this.topic,
    });
    return this.deadLetters;
  }

  /** Let `grantee` publish alerts: sns:Publish on this topic, its key only through SNS. */
  grantPublish(grantee: IGrantable): Grant {
    // Not topic.grantPublish: that grants the key without the kms:ViaService condition.
    return Grant.addToPrincipal({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topic.topicArn],
    }).combine(grantKeyVia(grantee, this.key, 'sns', ['kms:Decrypt', 'kms:GenerateDataKey']));
  }

  private subscribe(id: string, subscription: AlertSubscription): void {
    const { email, url } = subscription;
    if ((email === undefined) === (url === undefined)) {
      throw new Error(`Alert subscription ${id}: give exactly one of "email" or "url"`);
    }
    if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new Error(`Alert subscription ${id}: "${email}" is not an e-mail address`);
    }
    if (url !== undefined && !/^https:\/\/[^\s]+$/.test(url)) {
      throw new Error(`Alert subscription ${id}: "url" must be an https:// URL`);
    }
    const filter: Record<string, FilterOrPolicy> = {};
    const severities = subscription.severities ?? [];
    const unknown = severities.filter((s) => !SEVERITIES.includes(s));
    if (unknown.length > 0) {
      throw new Error(
        `Alert subscription ${id}: unknown severities ${unknown.join(', ')} (use ${SEVERITIES.join(', ')})`,
      );
    }
    if (severities.length > 0) {
      filter['severity'] = FilterOrPolicy.filter(
        SubscriptionFilter.stringFilter({ allowlist: [...severities] }),
      );
    }
    if ((subscription.owners ?? []).length > 0) {
      filter['owner'] = FilterOrPolicy.filter(
        SubscriptionFilter.stringFilter({ allowlist: [...(subscription.owners ?? [])] }),
      );
    }
    new Subscription(this, id, {
      topic: this.topic,
      protocol: email === undefined ? SubscriptionProtocol.HTTPS : SubscriptionProtocol.EMAIL,
      endpoint: email ?? url ?? '',
      ...(Object.keys(filter).length > 0 ? { filterPolicyWithMessageBody: filter } : {}),
    });
  }
}
