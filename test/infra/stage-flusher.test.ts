/**
 * CDK assertions for the stage flusher: the rule's pattern on the lifecycle bus, the encrypted
 * TLS-only queue with its dead-letter queue, the event source's batching window and
 * concurrency, the registry it lists stages from, and the flusher's exact grants.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { StageFlusher } from '../../infra/stage-flusher';
import { AlertTopic } from '../../infra/alert-topic';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { permissionLines, resources } from './template';

const template = Template.fromStack(new ServiceTokensStack(new App(), 'Test', {}));

function onlyId(type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids, `${type} matching ${String(pattern)}`).toHaveLength(1);
  return ids[0] ?? '';
}

const queueId = onlyId('AWS::SQS::Queue', /^StageFlusherQueue/);
const deadLettersId = onlyId('AWS::SQS::Queue', /^StageFlusherDeadLetters/);
const functionId = onlyId('AWS::Lambda::Function', /^StageFlusherFunction/);
const busId = onlyId('AWS::Events::EventBus', /^LifecycleBus/);

const statementSchema = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
  Roles: z.array(z.unknown()),
});

/** A resource reference as a readable name for the permission lines. */
function resourceName(resource: unknown): string {
  const text = JSON.stringify(resource);
  if (text.includes(queueId)) return 'flush queue';
  if (text.includes('StageFlusherFunctionLogs')) return 'own log group';
  if (/^\{"Fn::GetAtt":\["TablesRegistry[A-Z0-9]+","Arn"\]\}$/.test(text)) return 'registry table';
  if (/^\{"Fn::GetAtt":\["TablesKey[A-Z0-9]+","Arn"\]\}$/.test(text)) return 'table key';
  if (text === '"*"') return '*';
  const joined = z
    .object({ 'Fn::Join': z.tuple([z.string(), z.array(z.unknown())]) })
    .safeParse(resource);
  if (joined.success) {
    return joined.data['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
      .join('');
  }
  return text;
}

describe('the stage flusher', () => {
  it('sends TokenRevoked, TokenExpired and TokenGraceEnded from the lifecycle bus to its queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: {
        source: ['service-tokens'],
        'detail-type': ['TokenRevoked', 'TokenExpired', 'TokenGraceEnded', 'TokenRotated'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] } },
        }),
      ],
    });
  });

  it('queues them encrypted, TLS only, with a dead-letter queue after five receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 120,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    const tlsOnly = resources(
      template,
      'AWS::SQS::QueuePolicy',
      z.object({ Queues: z.array(z.unknown()), PolicyDocument: z.unknown() }),
    ).filter((p) => JSON.stringify(p.properties.Queues).includes(queueId));
    expect(JSON.stringify(tlsOnly.map((p) => p.properties.PolicyDocument))).toContain(
      '"aws:SecureTransport":"false"',
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Revocation events whose stage flushes'),
      Threshold: 1,
    });
  });

  it('batches over a 2 s window, up to 1000 messages, at most two invocations at once, never throttled', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionId },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
      Timeout: 20,
      Environment: {
        Variables: Match.objectLike({
          FLUSH_WINDOW_SECONDS: '2',
          REST_API_ID: { Ref: Match.stringLikeRegexp('^Api') },
          STAGE_NAME: { Ref: Match.stringLikeRegexp('^ApiDeploymentStage') },
          REGISTRY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^TablesRegistry') },
        }),
      },
    });
  });

  it('may empty any stage authorizer cache of this region, read its own queue and query the registry, nothing more', () => {
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema).filter((p) =>
      JSON.stringify(p.properties.Roles).includes('StageFlusherFunctionRole'),
    );
    const lines = permissionLines(policy?.properties.PolicyDocument.Statement ?? [], resourceName);
    expect(lines).toEqual([
      'apigateway:DELETE arn:{"Ref":"AWS::Partition"}:apigateway:{"Ref":"AWS::Region"}::/apis/*/stages/*/cache/authorizers',
      'apigateway:DELETE arn:{"Ref":"AWS::Partition"}:apigateway:{"Ref":"AWS::Region"}::/restapis/*/stages/*/cache/authorizers',
      // The registry's stages: one Query of its one partition, the key through DynamoDB only.
      'dynamodb:Query registry table',
      'kms:Decrypt table key via dynamodb',
      'logs:CreateLogStream own log group',
      'logs:PutLogEvents own log group',
      'sqs:ChangeMessageVisibility flush queue',
      'sqs:DeleteMessage flush queue',
      'sqs:GetQueueAttributes flush queue',
      'sqs:GetQueueUrl flush queue',
      'sqs:ReceiveMessage flush queue',
      'xray:PutTelemetryRecords *',
      'xray:PutTraceSegments *',
    ]);
  });

  it('takes another window, and refuses one that is not whole seconds up to 60', () => {
    const build = (window: Duration) => {
      const stack = new Stack(new App(), 'Window');
      new StageFlusher(stack, 'Flusher', {
        bus: new EventBus(stack, 'Bus'),
        alerts: new AlertTopic(stack, 'Alerts', {}),
        platformApi: RestApi.fromRestApiId(stack, 'Api', 'abc123'),
        platformStageName: 'v1',
        window,
      });
      return Template.fromStack(stack);
    };
    build(Duration.seconds(5)).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumBatchingWindowInSeconds: 5,
    });
    expect(() => build(Duration.millis(1500))).toThrow(/whole seconds from 0 to 60/);
    expect(() => build(Duration.seconds(90))).toThrow(/whole seconds from 0 to 60/);
  });
});

describe('the lifecycle bus for consumer accounts', () => {
  it('lets each consumer account keep its own rules for this source on the bus, and no one else', () => {
    const withConsumers = Template.fromStack(
      new ServiceTokensStack(new App(), 'Consumers', {
        consumerAccounts: ['222222222222', '333333333333'],
      }),
    );
    withConsumers.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: Match.stringLikeRegexp('^LifecycleBus') },
      Statement: {
        Sid: 'cdk-ConsumerAccountsOwnRules',
        Effect: 'Allow',
        Principal: {
          AWS: [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:root']] },
          ],
        },
        Action: [
          'events:PutRule',
          'events:DeleteRule',
          'events:DescribeRule',
          'events:DisableRule',
          'events:EnableRule',
          'events:PutTargets',
          'events:RemoveTargets',
        ],
        Condition: {
          StringEqualsIfExists: {
            'events:creatorAccount': '${aws:PrincipalAccount}',
            'events:source': 'service-tokens',
          },
        },
      },
    });
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
  });
});
