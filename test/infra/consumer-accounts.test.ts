/**
 * consumerAccounts on the platform: the token table's resource policy and the key-policy grant
 * give each consumer account exactly the authorizer's access, and nothing when none is named.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { TokenTables } from '../../infra/token-tables';
import { appWithNag, nagFindings } from './nag';
import { resources } from './template';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const CONSUMERS = ['222222222222', '333333333333'];

const rootOf = (account: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:root`]],
});
const CONSUMER_PRINCIPAL = { AWS: CONSUMERS.map(rootOf) };

const tableSchema = z.object({
  KeySchema: z.array(z.object({ AttributeName: z.string() })),
  ResourcePolicy: z.unknown().optional(),
});
const keySchema = z.object({
  KeyPolicy: z.object({ Statement: z.array(z.record(z.string(), z.unknown())) }),
});

/** TokenTables alone in a stack of the platform's account, and its template. */
function platform(consumerAccounts?: readonly string[]): Template {
  const stack = new Stack(new App(), 'Platform', { env: ENV });
  new TokenTables(stack, 'Tables', { retain: false, consumerAccounts });
  return Template.fromStack(stack);
}

/** The ResourcePolicy of each table, by its partition key (tokenHash: tokens, else audit). */
function resourcePolicies(template: Template): Record<string, unknown> {
  const tables = resources(template, 'AWS::DynamoDB::Table', tableSchema);
  return Object.fromEntries(
    tables.map(({ properties }) => [
      properties.KeySchema[0]?.AttributeName === 'tokenHash' ? 'tokens' : 'audit',
      properties.ResourcePolicy,
    ]),
  );
}

function keyPolicyStatements(template: Template): unknown[] {
  const [key, ...others] = resources(template, 'AWS::KMS::Key', keySchema);
  if (key === undefined || others.length > 0) throw new Error('expected one key');
  return key.properties.KeyPolicy.Statement;
}

/** An app whose functions are not bundled: the stack's constructs only. */
function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

describe('consumerAccounts', () => {
  it('puts the authorizer’s GetItem and usage UpdateItem in the token table’s resource policy', () => {
    expect(resourcePolicies(platform(CONSUMERS))).toEqual({
      tokens: {
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ConsumerAuthorizerRead',
              Effect: 'Allow',
              Principal: CONSUMER_PRINCIPAL,
              Action: 'dynamodb:GetItem',
              Resource: '*',
            },
            {
              Sid: 'ConsumerAuthorizerUsage',
              Effect: 'Allow',
              Principal: CONSUMER_PRINCIPAL,
              Action: 'dynamodb:UpdateItem',
              Resource: '*',
              Condition: {
                'ForAllValues:StringEquals': {
                  'dynamodb:Attributes': ['tokenHash', 'lastUsedAt', 'useCount', 'policyDueAt'],
                },
                StringEqualsIfExists: {
                  'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'],
                },
              },
            },
          ],
        },
      },
      audit: undefined,
    });
  });

  it('lets those accounts use the key through DynamoDB in the table’s region only', () => {
    const statements = keyPolicyStatements(platform(CONSUMERS));
    expect(statements).toHaveLength(2);
    expect(statements[1]).toEqual({
      Sid: 'ConsumerAuthorizerKeyViaDynamoDB',
      Effect: 'Allow',
      Principal: CONSUMER_PRINCIPAL,
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com',
          'kms:CallerAccount': CONSUMERS,
        },
      },
    });
  });

  it('adds no resource policy and no key statement when none is named', () => {
    for (const template of [platform(), platform([])]) {
      expect(resourcePolicies(template)).toEqual({ tokens: undefined, audit: undefined });
      expect(keyPolicyStatements(template)).toHaveLength(1);
    }
  });

  it.each([
    ['12345', '"12345" is not an AWS account id (12 digits, e.g. "222222222222")'],
    ['22222222222a', '"22222222222a" is not an AWS account id'],
    [' 222222222222', '" 222222222222" is not an AWS account id'],
  ])('refuses %j at synth', (account, message) => {
    expect(() => platform([account])).toThrow(`Platform/Tables: consumerAccounts: ${message}`);
  });

  it('refuses an account listed twice', () => {
    expect(() => platform(['222222222222', '222222222222'])).toThrow(
      'Platform/Tables: consumerAccounts: "222222222222" is listed twice',
    );
  });
});

describe('ServiceTokensStack consumerAccounts', () => {
  it('leaves the template unchanged when none is named', () => {
    const without = new ServiceTokensStack(unbundledApp(), 'Platform', { env: ENV });
    const empty = new ServiceTokensStack(unbundledApp(), 'Platform', {
      env: ENV,
      consumerAccounts: [],
    });
    expect(Template.fromStack(empty).toJSON()).toEqual(Template.fromStack(without).toJSON());
  });

  it('passes them to the tables and outputs the ARNs the consumers build from', () => {
    const stack = new ServiceTokensStack(unbundledApp(), 'Platform', {
      env: ENV,
      consumerAccounts: CONSUMERS,
    });
    const template = Template.fromStack(stack);
    expect(Object.keys(resourcePolicies(template).tokens ?? {})).toEqual(['PolicyDocument']);
    const valueOf = (arn: string): unknown => stack.resolve(arn);
    template.hasOutput('TokensTableArn', { Value: valueOf(stack.platform.tables.tokens.tableArn) });
    template.hasOutput('TokensKeyArn', { Value: valueOf(stack.platform.tables.key.keyArn) });
  });

  it('refuses a bad account id with its message', () => {
    expect(
      () => new ServiceTokensStack(unbundledApp(), 'Platform', { consumerAccounts: ['1234'] }),
    ).toThrow('Platform/Default/Tables: consumerAccounts: "1234" is not an AWS account id');
  });

  it('is cdk-nag AwsSolutions clean with consumer accounts', () => {
    const findings = nagFindings(
      appWithNag(),
      (app) => new ServiceTokensStack(app, 'Platform', { env: ENV, consumerAccounts: CONSUMERS }),
    );
    expect(findings).toEqual([]);
  });
});
