import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { auditTable, createTableInput, registryTable, tokenTable } from '../../shared/store/schema';

const template = Template.fromStack(new ServiceTokensStack(new App(), 'Test'));

describe('token tables', () => {
  it.each([
    ['tokens', tokenTable],
    ['audit', auditTable],
    ['registry', registryTable],
  ])('the %s table matches the shared schema (keys, indexes, TTL)', (_, def) => {
    const input = createTableInput('ignored', def);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: input.KeySchema,
      AttributeDefinitions: input.AttributeDefinitions,
      TimeToLiveSpecification:
        def.ttlAttribute === undefined
          ? Match.absent()
          : { AttributeName: def.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes:
        input.GlobalSecondaryIndexes?.map((index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        })) ?? Match.absent(),
    });
  });

  it('bills on demand, keeps point-in-time recovery, deletion protection and RETAIN', () => {
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      3,
    );
    for (const resource of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('encrypts the three tables with a rotating customer-managed KMS key', () => {
    const keys = template.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('service-token and audit tables') },
    });
    expect(Object.values(keys)).toHaveLength(1);
    expect(Object.values(keys)[0]).toMatchObject({ Properties: { EnableKeyRotation: true } });
    const keyId = Object.keys(keys)[0];
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        },
      },
      3,
    );
  });

  it('can be made disposable for throwaway stages', () => {
    const stack = new ServiceTokensStack(new App(), 'Scratch', { retainData: false });
    const scratch = Template.fromStack(stack);
    scratch.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    scratch.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expect(Stack.of(stack.platform.tables).stackName).toBe('Scratch');
  });
});
