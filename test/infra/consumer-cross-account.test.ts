/**
 * A consumer in another account: its authorizers, built from the platform's ARNs
 * (TokenTables.fromArns), get an identity policy naming exactly the foreign table and key,
 * with the same actions and conditions as the platform's own authorizer.
 */
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration } from 'aws-cdk-lib/aws-apigateway';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpApiTokenAuthorizer, RestApiTokenAuthorizer } from '../../infra/consumer';
import { ApiRegistry } from '../../infra/api-registry';
import { TokenTables } from '../../infra/token-tables';
import { consumerHttpApi, consumerRestApi } from './fixtures/consumer-app';
import { appWithNag, nagFindings } from './nag';
import { resources } from './template';

const REGION = 'eu-west-1';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:111111111111:table/ServiceTokens-TablesTokens-ABC123`;
const KEY_ARN = `arn:aws:kms:${REGION}:111111111111:key/0b6a1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d`;
const REGISTRY_ARN = `arn:aws:lambda:${REGION}:111111111111:function:ServiceTokens-RegistryProvider`;

/** A consumer stack in account 222222222222 protecting a RestApi and an HttpApi of its own. */
function crossAccountConsumer(app: App = new App()): Stack {
  const stack = new Stack(app, 'Consumer', { env: { account: '222222222222', region: REGION } });
  const tables = TokenTables.fromArns({ tokensTableArn: TABLE_ARN, keyArn: KEY_ARN });
  const { api, validator } = consumerRestApi(stack);
  const registry = ApiRegistry.fromArn(REGISTRY_ARN);
  new RestApiTokenAuthorizer(stack, 'RestTokens', { tables, registry }).protect(
    api.root.addResource('orders'),
    'GET',
    new MockIntegration(),
    { scopes: ['orders:read'], methodOptions: { requestValidator: validator } },
  );
  new HttpApiTokenAuthorizer(stack, 'HttpTokens', {
    tables,
    registry,
    cacheTtl: Duration.seconds(30),
  }).protect(consumerHttpApi(stack), {
    path: '/orders',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Backend', 'https://orders.example.com'),
    scopes: ['orders:read'],
  });
  return stack;
}

const template = Template.fromStack(crossAccountConsumer());

const functionSchema = z.object({
  Description: z.string().optional(),
  Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }).optional(),
});
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(z.record(z.string(), z.unknown())) }),
});

const authorizers = resources(template, 'AWS::Lambda::Function', functionSchema).filter((fn) =>
  fn.properties.Description?.startsWith('Validates sk_ service tokens for a consumer'),
);

/** The DynamoDB and KMS statements of a function's role. */
function dataStatements(roleId: string): Record<string, unknown>[] {
  return resources(template, 'AWS::IAM::Policy', policySchema, { Roles: [{ Ref: roleId }] })
    .flatMap((policy) => policy.properties.PolicyDocument.Statement)
    .filter((statement) => /"(dynamodb|kms):/.test(JSON.stringify(statement['Action'])));
}

describe('a consumer in another account (TokenTables.fromArns)', () => {
  it('has one REST and one HTTP API authorizer function', () => {
    expect(authorizers.map((fn) => fn.properties.Description).sort()).toEqual([
      'Validates sk_ service tokens for a consumer HTTP API',
      'Validates sk_ service tokens for a consumer REST API',
    ]);
  });

  it.each(authorizers.map((fn) => [fn.properties.Description, fn.properties] as const))(
    '%s: its role names exactly the foreign table and key, with the platform’s conditions',
    (_, fn) => {
      expect(dataStatements(fn.Role['Fn::GetAtt'][0])).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE_ARN },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: TABLE_ARN,
          Condition: {
            'ForAllValues:StringEquals': {
              'dynamodb:Attributes': ['tokenHash', 'lastUsedAt', 'useCount', 'policyDueAt'],
            },
            StringEqualsIfExists: {
              'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'],
            },
          },
        },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: KEY_ARN,
          Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } },
        },
      ]);
    },
  );

  it.each(authorizers.map((fn) => [fn.properties.Description, fn.properties] as const))(
    '%s: TOKENS_TABLE_NAME is the table ARN (DynamoDB’s cross-account TableName)',
    (_, fn) => {
      expect(fn.Environment?.Variables['TOKENS_TABLE_NAME']).toBe(TABLE_ARN);
    },
  );

  it.each([
    [
      { tokensTableArn: 'ServiceTokens-TablesTokens-ABC123', keyArn: KEY_ARN },
      'TokenTables.fromArns: tokensTableArn "ServiceTokens-TablesTokens-ABC123" is not an ARN like arn:aws:dynamodb:',
    ],
    [
      { tokensTableArn: TABLE_ARN, keyArn: 'alias/tokens' },
      'TokenTables.fromArns: keyArn "alias/tokens" is not an ARN like arn:aws:kms:',
    ],
    [
      { tokensTableArn: TABLE_ARN, keyArn: KEY_ARN.replace(REGION, 'us-east-1') },
      'TokenTables.fromArns: keyArn is in us-east-1, the table in eu-west-1',
    ],
  ])('refuses %j', (arns, message) => {
    expect(() => TokenTables.fromArns(arns)).toThrow(message);
  });

  it('takes ARNs known only at deploy (parameters), the key via DynamoDB in the table’s region', () => {
    const stack = new Stack(new App(), 'Params');
    const tokensTableArn = new CfnParameter(stack, 'TableArn').valueAsString;
    const keyArn = new CfnParameter(stack, 'KeyArn').valueAsString;
    const tables = TokenTables.fromArns({ tokensTableArn, keyArn });
    const role = new Role(stack, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    tables.grantAuthorizerRead(role);
    expect(tables.tokensTableName).toBe(tokensTableArn);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: { Ref: 'KeyArn' },
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': [
                    '',
                    [
                      'dynamodb.',
                      { 'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'TableArn' }] }] },
                      '.amazonaws.com',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('is cdk-nag AwsSolutions clean', () => {
    expect(nagFindings(appWithNag(), (app) => crossAccountConsumer(app))).toEqual([]);
  });
});
