/**
 * The API registry in CDK: each consumer authorizer registers its API, stages and catalog with
 * a custom resource whose provider is the platform's; the provider may only put and delete
 * registry items, and consumer accounts may invoke it.
 */
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiRegistry } from '../../infra/api-registry';
import { RestApiTokenAuthorizer } from '../../infra/consumer';
import { API_REGISTRATION_TYPE } from '../../infra/consumer/api-registration';
import { TokenTables } from '../../infra/token-tables';
import { CONSUMER_CATALOG, consumerApp, TEST_REGISTRY } from './fixtures/consumer-app';
import { permissionLines, resources } from './template';

const stacks = consumerApp();
const consumer = Template.fromStack(stacks.consumer);
const platform = Template.fromStack(stacks.platform);

const registrationSchema = z.object({
  ServiceToken: z.unknown(),
  ApiId: z.unknown(),
  Kind: z.enum(['rest', 'http']),
  Stages: z.array(z.unknown()),
  Region: z.unknown(),
  Account: z.unknown(),
  Catalog: z.string(),
});

const statementSchema = z.object({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
  Roles: z.array(z.object({ Ref: z.string() })),
});

function registrations(template: Template) {
  return resources(template, API_REGISTRATION_TYPE, registrationSchema);
}

/** The logical id of a construct's CloudFormation resource in `stack`. */
function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error('no CloudFormation resource');
  return stack.getLogicalId(resource);
}

describe('API registration (consumer side)', () => {
  it('registers each protected API with its kind, stages and the exact catalog of protect()', () => {
    const found = registrations(consumer).map((r) => r.properties);
    const restStage = logicalId(stacks.consumer, stacks.restApi.deploymentStage);
    expect(found.map((r) => [r.Kind, r.Stages])).toEqual([
      ['rest', [{ Ref: restStage }]],
      ['http', ['$default']],
    ]);
    for (const registration of found) {
      expect(JSON.parse(registration.Catalog)).toEqual(CONSUMER_CATALOG);
      expect(registration.Region).toEqual({ Ref: 'AWS::Region' });
      expect(registration.Account).toEqual({ Ref: 'AWS::AccountId' });
    }
    expect(found[0]?.ApiId).toEqual({ Ref: logicalId(stacks.consumer, stacks.restApi) });
    expect(found[1]?.ApiId).toEqual({ Ref: logicalId(stacks.consumer, stacks.httpApi) });
  });

  it("calls the platform's provider: its ARN, imported from the platform stack", () => {
    const providerId = logicalId(stacks.platform, stacks.registry.provider.function);
    for (const { properties } of registrations(consumer)) {
      expect(JSON.stringify(properties.ServiceToken)).toContain('Fn::ImportValue');
      expect(JSON.stringify(properties.ServiceToken)).toContain(providerId);
    }
  });

  it('takes a registry by ARN (another account) and the stages of an imported API by name', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const tables = new TokenTables(new Stack(app, 'Platform'), 'Tables', { retain: false });
    const stack = new Stack(app, 'Imported');
    const api = RestApi.fromRestApiAttributes(stack, 'Api', {
      restApiId: 'a1b2c3d4e5',
      rootResourceId: 'r00t',
    });
    new RestApiTokenAuthorizer(stack, 'Tokens', {
      tables,
      registry: TEST_REGISTRY,
      stageNames: ['prod', 'canary'],
    }).protect(api.root.addResource('orders'), 'GET', new MockIntegration(), {
      scopes: ['orders:read'],
    });
    const [registration] = registrations(Template.fromStack(stack));
    expect(registration?.properties).toMatchObject({
      ServiceToken: TEST_REGISTRY.serviceToken,
      ApiId: 'a1b2c3d4e5',
      Stages: ['prod', 'canary'],
    });
  });

  it('refuses at synth an imported API whose stages are not named', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const tables = new TokenTables(new Stack(app, 'Platform'), 'Tables', { retain: false });
    const stack = new Stack(app, 'Imported');
    const api = RestApi.fromRestApiAttributes(stack, 'Api', {
      restApiId: 'a1b2c3d4e5',
      rootResourceId: 'r00t',
    });
    new RestApiTokenAuthorizer(stack, 'Tokens', { tables, registry: TEST_REGISTRY }).protect(
      api.root,
      'GET',
      new MockIntegration(),
      { scopes: [] },
    );
    expect(() => app.synth()).toThrow(
      /Imported\/Tokens: the API has no stage in this app: name its stages with stageNames/,
    );
  });

  it("waits in the platform's own stack for the provider and its policy before registering", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Team');
    const tables = new TokenTables(stack, 'Tables', { retain: false });
    const registry = new ApiRegistry(stack, 'Registry', { tables });
    const api = new RestApi(stack, 'Orders');
    new RestApiTokenAuthorizer(stack, 'Tokens', { tables, registry }).protect(
      api.root.addResource('orders'),
      'GET',
      new MockIntegration(),
      { scopes: ['orders:read'] },
    );
    const template = Template.fromStack(stack);
    const [registration] = Object.values(template.findResources(API_REGISTRATION_TYPE));
    const policy = resources(template, 'AWS::IAM::Policy', policySchema).find((p) =>
      p.properties.Roles.some((role) => role.Ref === logicalId(stack, registry.provider.role)),
    );
    expect(policy).toBeDefined();
    expect(registration?.['DependsOn']).toEqual(expect.arrayContaining([policy?.id]));
  });
});

describe('ApiRegistry (platform side)', () => {
  it('gives the provider exactly PutItem and DeleteItem on the registry table, the key via DynamoDB', () => {
    const roleId = logicalId(stacks.platform, stacks.registry.provider.role);
    const policies = resources(platform, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: roleId }],
    });
    const names: Record<string, string> = {
      registry: logicalId(stacks.platform, stacks.tables.registry),
      key: logicalId(stacks.platform, stacks.tables.key),
      'own log group': logicalId(stacks.platform, stacks.registry.provider.logGroup),
    };
    const name = (resource: unknown) => {
      const text = JSON.stringify(resource);
      if (text === '"*"') return '*';
      return Object.entries(names).find(([, id]) => text.includes(id))?.[0] ?? text;
    };
    expect(
      permissionLines(
        policies.flatMap((p) => p.properties.PolicyDocument.Statement),
        name,
      ),
    ).toEqual([
      'dynamodb:DeleteItem registry',
      'dynamodb:PutItem registry',
      'kms:Decrypt key via dynamodb',
      'kms:Encrypt key via dynamodb',
      'kms:GenerateDataKey key via dynamodb',
      'logs:CreateLogStream own log group',
      'logs:PutLogEvents own log group',
      'xray:PutTelemetryRecords *',
      'xray:PutTraceSegments *',
    ]);
  });

  it('lets no other account invoke the provider unless the platform names it', () => {
    expect(Object.keys(platform.findResources('AWS::Lambda::Permission'))).toEqual([]);
  });

  it('lets each consumer account invoke an alias of its own, and nothing else', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Platform');
    const tables = new TokenTables(stack, 'Tables', {
      retain: false,
      consumerAccounts: ['222222222222', '333333333333'],
    });
    const registry = new ApiRegistry(stack, 'Registry', { tables });
    const template = Template.fromStack(stack);
    const permissions = resources(
      template,
      'AWS::Lambda::Permission',
      z.object({ Action: z.string(), Principal: z.string(), FunctionName: z.unknown() }),
    );
    const aliases = resources(
      template,
      'AWS::Lambda::Alias',
      z.object({ Name: z.string(), FunctionName: z.unknown() }),
    );
    const providerId = logicalId(stack, registry.provider.function);
    expect(aliases.map((a) => a.properties)).toEqual([
      { Name: 'consumer-222222222222', FunctionName: { Ref: providerId } },
      { Name: 'consumer-333333333333', FunctionName: { Ref: providerId } },
    ]);
    // Each permission names its alias: the provider knows the caller by the alias invoked.
    expect(permissions.map((p) => [p.properties.Principal, p.properties.FunctionName])).toEqual([
      ['222222222222', { Ref: aliases[0]?.id }],
      ['333333333333', { Ref: aliases[1]?.id }],
    ]);
    expect(permissions.every((p) => p.properties.Action === 'lambda:InvokeFunction')).toBe(true);
    expect(() => registry.serviceTokenFor('444444444444')).toThrow(/not a consumer account/);
  });

  it('hands consumers in other accounts a registry by ARN', () => {
    const arn = 'arn:aws:lambda:eu-west-1:111111111111:function:registry';
    expect(ApiRegistry.fromArn(arn)).toEqual({ serviceToken: arn });
  });
});
