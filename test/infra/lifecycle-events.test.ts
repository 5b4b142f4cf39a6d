/**
 * CDK assertions for the lifecycle events: the bus, its archive, the audit stream and the
 * relay's event source mapping (filter, partial batches, retries, dead letters), and the
 * relay's exact grants (PutEvents on this bus only).
 */
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { EVENT_SOURCE } from '../../shared/events/lifecycle';
import { resources } from './template';

const template = Template.fromStack(new ServiceTokensStack(new App(), 'Test', {}));

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

function onlyId(type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids, `${type} matching ${String(pattern)}`).toHaveLength(1);
  return ids[0] ?? '';
}

const relayFunction = onlyId('AWS::Lambda::Function', /^LifecycleRelay/);
const busId = onlyId('AWS::Events::EventBus', /^LifecycleBus/);
const auditTable = onlyId('AWS::DynamoDB::Table', /^TablesAudit/);

describe('lifecycle events', () => {
  it('stream new images of the audit table', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([{ AttributeName: 'targetId', KeyType: 'HASH' }]),
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'tokenHash', KeyType: 'HASH' }],
      StreamSpecification: Match.absent(),
    });
  });

  it('go to a custom bus with an archive of this source, kept 90 days by default', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      RetentionDays: 90,
      EventPattern: { source: [EVENT_SOURCE] },
    });
    const custom = Template.fromStack(
      new ServiceTokensStack(new App(), 'Custom', {
        eventArchiveRetention: Duration.days(400),
      }),
    );
    custom.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 400 });
  });

  it('relay the audit stream with a success filter, partial batches, retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: relayFunction },
      EventSourceArn: { 'Fn::GetAtt': [auditTable, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LifecycleDeadLetters'), 'Arn'] },
        },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { NewImage: { outcome: { S: ['success'] } } },
            }),
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LifecycleDeadLetters'), 'QueueName'] },
        },
      ],
      Threshold: 1,
    });
  });

  it('give the relay exactly its grants: stream reads, token reads, PutEvents on this bus, the key via DynamoDB', () => {
    const role = z
      .object({ Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }) })
      .parse(template.findResources('AWS::Lambda::Function')[relayFunction]?.['Properties']);
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: role.Role['Fn::GetAtt'][0] }],
    });
    const statements = policy?.properties.PolicyDocument.Statement ?? [];
    expect(statements.map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      'dynamodb:ListStreams',
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      'kms:Decrypt',
      ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      'dynamodb:GetItem',
      'dynamodb:Query',
      'events:PutEvents',
    ]);
    const putEvents = statements.find((s) => s.Action === 'events:PutEvents');
    expect(putEvents?.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    const kms = statements.find((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(JSON.stringify(kms?.Condition)).toContain('dynamodb.');
    // No other role may publish lifecycle events.
    const publishers = resources(template, 'AWS::IAM::Policy', policySchema).filter((p) =>
      JSON.stringify(p.properties.PolicyDocument).includes('events:PutEvents'),
    );
    expect(publishers).toHaveLength(1);
  });

  it('page when the relay falls 15 minutes behind the stream', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: relayFunction } }],
      Statistic: 'Maximum',
      Threshold: 900_000,
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('^AlertsTopic') })],
    });
  });

  it('export the bus name and ARN for consumers', () => {
    template.hasOutput('LifecycleEventBusName', { Value: { Ref: busId } });
    template.hasOutput('LifecycleEventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
  });
});
