import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALERT_RUN_TIMEOUT } from '../../infra/token-schedules';
import { ServiceTokensStack, type ServiceTokensStackProps } from '../../infra/service-tokens-stack';
import { ALERT_LEASE_MS } from '../../shared/schedules/expiry-alerter';
import { resources } from './template';

const paymentsCi = {
  id: 'PaymentsCi',
  name: 'payments-ci',
  owner: 'team-payments',
  scopes: ['orders:read'],
};
const template = synth({
  serviceTokens: [paymentsCi],
  alertSubscriptions: [
    { email: 'oncall@example.com', severities: ['high', 'critical'] },
    { url: 'https://hooks.example.com/tokens', owners: ['team-payments'] },
    { email: 'all@example.com' },
  ],
});

function synth(props: ServiceTokensStackProps): Template {
  return Template.fromStack(new ServiceTokensStack(new App(), 'Test', props));
}

const statementSchema = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown().optional(),
  Principal: z.unknown().optional(),
  Condition: z.unknown().optional(),
});
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
});
const roleRef = z.object({ Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }) });

/** The logical id of a resource whose id matches `pattern`; fails if not exactly one. */
function logicalId(type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids, `${type} matching ${String(pattern)}`).toHaveLength(1);
  return ids[0] ?? '';
}

function statementsOf(description: string): z.infer<typeof statementSchema>[] {
  const [fn] = resources(template, 'AWS::Lambda::Function', roleRef, {
    Description: description,
  });
  const [policy] = resources(template, 'AWS::IAM::Policy', policySchema, {
    Roles: [{ Ref: fn?.properties.Role['Fn::GetAtt'][0] }],
  });
  return policy?.properties.PolicyDocument.Statement ?? [];
}

function actionsOf(description: string): (string | string[])[] {
  return statementsOf(description).map((s) => s.Action);
}

/** The token indexes the function may query, in statement order. */
function queriedIndexes(description: string): string[] {
  return statementsOf(description)
    .filter((s) => s.Action === 'dynamodb:Query')
    .flatMap((s) => JSON.stringify(s.Resource).match(/\/index\/[A-Za-z]+/g) ?? []);
}

describe('schedules', () => {
  it('run the expiry alerts hourly and the cleanup daily by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ExpiryAlerts'), 'Arn'] },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(17 3 * * ? *)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Cleanup'), 'Arn'] } }),
      ],
    });
  });

  it('take their schedules and the retention period from the stack props', () => {
    const custom = synth({
      alertSchedule: Schedule.rate(Duration.minutes(15)),
      cleanupSchedule: Schedule.rate(Duration.hours(6)),
      tokenRetention: Duration.days(30),
    });
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
    for (const writer of [
      'Retires expired service tokens',
      'Rotates service tokens held in Secrets Manager',
    ]) {
      custom.hasResourceProperties('AWS::Lambda::Function', {
        Description: writer,
        Environment: { Variables: Match.objectLike({ RETENTION_DAYS: '30' }) },
      });
    }
  });

  it('end an alert run before its alert leases can lapse', () => {
    expect(ALERT_RUN_TIMEOUT.toMilliseconds()).toBeLessThan(ALERT_LEASE_MS);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Sends expiry alerts for service tokens',
      Timeout: ALERT_RUN_TIMEOUT.toSeconds(),
      Environment: {
        Variables: Match.objectLike({ ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('Alerts') } }),
      },
    });
  });

  it('send a run that failed twice, or could not be delivered, to an alarmed dead-letter queue', () => {
    for (const job of ['ExpiryAlerts', 'Cleanup']) {
      const queue = logicalId('AWS::SQS::Queue', new RegExp(`${job}DeadLetters`));
      const fn = logicalId('AWS::Lambda::Function', new RegExp(`${job}Function`));
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fn },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
          }),
        ],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: logicalId('AWS::SNS::Topic', /AlertsTopic/) }],
      });
    }
  });

  it('keep dead letters encrypted and reachable over TLS only', () => {
    const queues = Object.entries(template.findResources('AWS::SQS::Queue'));
    // Every queue is encrypted; the dead-letter queues keep their messages for SQS's maximum.
    // (The stage flusher's own queue keeps a day: its events are worth nothing later.)
    const deadLetters = queues.filter(([id]) => /DeadLetters/.test(id));
    expect(deadLetters.length).toBeGreaterThanOrEqual(3);
    for (const [, queue] of queues) {
      expect(queue).toMatchObject({ Properties: { SqsManagedSseEnabled: true } });
    }
    for (const [, queue] of deadLetters) {
      expect(queue).toMatchObject({ Properties: { MessageRetentionPeriod: 14 * 86_400 } });
    }
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        }),
      },
      Object.keys(queues).length,
    );
  });

  it('give the alert run exactly its grants: the expiry index, token updates, audit, publish', () => {
    expect(actionsOf('Sends expiry alerts for service tokens')).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      'sns:Publish',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
      'secretsmanager:RotateSecret',
      'lambda:InvokeFunction',
      'dynamodb:PutItem',
    ]);
    expect(queriedIndexes('Sends expiry alerts for service tokens')).toEqual([
      '/index/ByExpiry',
      '/index/ByTokenId',
      '/index/ByPolicyDue',
    ]);
  });

  it("may start only this stack's secret rotations (the rotation policy), through its function", () => {
    const [fn] = resources(template, 'AWS::Lambda::Function', roleRef, {
      Description: 'Sends expiry alerts for service tokens',
    });
    const [policy] = resources(
      template,
      'AWS::IAM::Policy',
      z.object({ PolicyDocument: z.unknown() }),
      {
        Roles: [{ Ref: fn?.properties.Role['Fn::GetAtt'][0] }],
      },
    );
    const statements = z
      .object({ Statement: z.array(z.object({ Action: z.unknown(), Resource: z.unknown() })) })
      .parse(policy?.properties.PolicyDocument).Statement;
    const rotate = statements.find((s) => s.Action === 'secretsmanager:RotateSecret');
    expect(rotate?.Resource).toEqual({
      Ref: logicalId('AWS::SecretsManager::Secret', /PaymentsCiSecret/),
    });
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke?.Resource).toEqual({
      'Fn::GetAtt': [logicalId('AWS::Lambda::Function', /RotationFunction/), 'Arn'],
    });
    // Without rotated secrets there is nothing to rotate, and no such grant.
    const bare = JSON.stringify(synth({}).toJSON());
    expect(bare).not.toContain('secretsmanager:RotateSecret');
  });

  it('hands the alert run and every issuer of tokens the rotation policies, and refuses a bad one at synth', () => {
    const strict = synth({
      rotationPolicy: { owners: { 'team-payments': { rotateAfterDays: 14 } } },
    });
    // The alert run reports against them; the management API and the rotation Lambda date
    // the tokens they issue with them (the due index).
    for (const description of [
      'Sends expiry alerts for service tokens',
      'Serves the service-token management API',
      'Rotates service tokens held in Secrets Manager',
    ]) {
      strict.hasResourceProperties('AWS::Lambda::Function', {
        Description: description,
        Environment: {
          Variables: Match.objectLike({
            ROTATION_POLICIES: JSON.stringify({
              default: {
                rotateAfterDays: 90,
                highUsage: { usesPerDay: 10_000, rotateAfterDays: 30 },
              },
              owners: { 'team-payments': { rotateAfterDays: 14 } },
            }),
          }),
        },
      });
    }
    expect(() => synth({ rotationPolicy: { default: { rotateAfterDays: 0 } } })).toThrow(
      /Invalid rotationPolicy: default\.rotateAfterDays/,
    );
    expect(() =>
      synth({
        rotationPolicy: {
          default: { rotateAfterDays: 30, highUsage: { usesPerDay: 1, rotateAfterDays: 60 } },
        },
      }),
    ).toThrow(/highUsage.rotateAfterDays must not exceed rotateAfterDays/);
  });

  it('give the cleanup run exactly its grants and no publish right', () => {
    expect(actionsOf('Retires expired service tokens')).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      'dynamodb:PutItem',
    ]);
    expect(queriedIndexes('Retires expired service tokens')).toEqual([
      '/index/ByExpiry',
      '/index/ByRotationRequest',
      '/index/ByTokenId',
    ]);
  });
});

describe('the alert topic', () => {
  it('is encrypted with its own rotating key and refuses publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId('AWS::KMS::Key', /AlertsKey/), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the service-token alert topic',
      EnableKeyRotation: true,
    });
  });

  it("has a topic policy that allows only this account's CloudWatch alarms, over TLS", () => {
    const [policy, ...others] = resources(template, 'AWS::SNS::TopicPolicy', policySchema);
    expect(others).toEqual([]);
    const [denyPlain, allowAlarms, ...rest] = policy?.properties.PolicyDocument.Statement ?? [];
    expect(rest).toEqual([]);
    expect(denyPlain).toMatchObject({
      Effect: 'Deny',
      Action: 'sns:Publish',
      Principal: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // Alarms publish as the CloudWatch service; every other publisher holds an IAM grant.
    expect(allowAlarms).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': expect.anything() as unknown },
      },
    });
    expect(JSON.stringify(allowAlarms)).toContain(':alarm:*');
  });

  it('lets EventBridge publish only through a role that rules of this account can assume', () => {
    const role = logicalId('AWS::IAM::Role', /AlertsEventsRole/);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: role }],
    });
    expect(policy?.properties.PolicyDocument.Statement.map((s) => s.Action)).toEqual([
      'sns:Publish',
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    ]);
  });

  it('lets CloudWatch alarms of this account use the topic key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the service-token alert topic',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('subscribes e-mail and HTTPS endpoints with body filter policies', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { severity: ['high', 'critical'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/tokens',
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { owner: ['team-payments'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'all@example.com',
      FilterPolicy: Match.absent(),
    });
  });

  it.each([
    [{}, /exactly one of "email" or "url"/],
    [{ email: 'a@example.com', url: 'https://example.com' }, /exactly one of "email" or "url"/],
    [{ email: 'not-an-address' }, /is not an e-mail address/],
    [{ url: 'http://example.com/hook' }, /must be an https:\/\/ URL/],
    [{ email: 'a@example.com', severities: ['urgent'] }, /unknown severities urgent/],
  ])('refuses the subscription %j at synth', (subscription, message) => {
    expect(() => synth({ alertSubscriptions: [subscription as never] })).toThrow(message);
  });
});

describe('rotation failure alerts', () => {
  const ruleSchema = z.object({
    EventPattern: z.unknown(),
    Targets: z.array(
      z.object({
        Arn: z.unknown(),
        RoleArn: z.unknown(),
        DeadLetterConfig: z.unknown(),
        InputTransformer: z.object({
          InputPathsMap: z.record(z.string(), z.string()),
          InputTemplate: z.object({ 'Fn::Join': z.tuple([z.string(), z.array(z.unknown())]) }),
        }),
      }),
    ),
  });
  const [rule, ...others] = resources(template, 'AWS::Events::Rule', ruleSchema, {
    Description: 'Alerts when rotation of the payments-ci service token fails',
  });
  const target = rule?.properties.Targets[0];

  it('match RotationFailed and RotationAbandoned of this secret only', () => {
    expect(others).toEqual([]);
    expect(rule?.properties.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['RotationFailed', 'RotationAbandoned'],
        additionalEventData: {
          SecretId: [{ Ref: logicalId('AWS::SecretsManager::Secret', /PaymentsCi/) }],
        },
      },
    });
  });

  it('publish a readable critical alert for the owner to the topic, through the role', () => {
    expect(target?.Arn).toEqual({ Ref: logicalId('AWS::SNS::Topic', /AlertsTopic/) });
    expect(target?.RoleArn).toEqual({
      'Fn::GetAtt': [logicalId('AWS::IAM::Role', /AlertsEventsRole/), 'Arn'],
    });
    expect(target?.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', /AlertsDeliveryDeadLetters/), 'Arn'] },
    });
    const paths = target?.InputTransformer.InputPathsMap ?? {};
    // Render the template as EventBridge would: a placeholder that is a JSON value becomes a
    // JSON string, one inside a string is inserted as text. Every placeholder needs a path.
    const rendered = (target?.InputTransformer.InputTemplate['Fn::Join'][1] ?? [])
      .map((part) =>
        typeof part === 'string' ? part : 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      )
      .join('')
      .replace(/<([\w-]+)>/g, (placeholder: string, name: string, offset: number, all: string) => {
        expect(paths, `placeholder ${placeholder} has an input path`).toHaveProperty(name);
        return all[offset - 1] === ':' ? JSON.stringify(`sample-${name}`) : `sample-${name}`;
      });
    const message = z
      .object({ severity: z.string(), owner: z.string(), kind: z.string(), summary: z.string() })
      .parse(JSON.parse(rendered));
    expect(message).toMatchObject({
      severity: 'critical',
      owner: 'team-payments',
      kind: 'rotation-failed',
    });
    expect(message.summary).toContain('payments-ci');
    expect(Object.values(paths)).toEqual(
      expect.arrayContaining(['$.detail.eventName', '$.id', '$.time']),
    );
  });

  it('exist only for secrets the stack rotates', () => {
    const bare = synth({});
    expect(
      Object.values(bare.findResources('AWS::Events::Rule')).filter((r) =>
        JSON.stringify(r).includes('aws.secretsmanager'),
      ),
    ).toEqual([]);
  });
});
