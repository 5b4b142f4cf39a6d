/**
 * The consumer authorizers: a team's RestApi and HttpApi in a stack of their own, each behind
 * its own authorizer function with the catalog of the routes declared with protect().
 */
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RestApiTokenAuthorizer } from '../../infra/consumer';
import { routeKey } from '../../shared/authz/routes';
import { TokenTables } from '../../infra/token-tables';
import { CONSUMER_CATALOG, consumerApp, TEST_REGISTRY } from './fixtures/consumer-app';
import { appWithNag, nagFindings } from './nag';
import { permissionLines, resources } from './template';

const REST_DESCRIPTION = 'Validates sk_ service tokens for a consumer REST API';
const HTTP_DESCRIPTION = 'Validates sk_ service tokens for a consumer HTTP API';

const stacks = consumerApp();
const template = Template.fromStack(stacks.consumer);

const functionSchema = z.object({
  Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }),
});
const statementSchema = z.object({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
const policySchema = z.object({
  PolicyDocument: z.object({ Statement: z.array(statementSchema) }),
});

function authorizerFunction(description: string) {
  const [fn, ...others] = resources(template, 'AWS::Lambda::Function', functionSchema, {
    Description: description,
  });
  if (fn === undefined || others.length > 0) throw new Error(`expected one "${description}"`);
  return fn.properties;
}

/** The platform resources a reference names, by logical id: `tokens`, `audit`, `key`. */
function shortName(resource: unknown): string {
  const text = JSON.stringify(resource);
  if (text === '"*"') return '*';
  const { tokens, audit, key } = stacks.tables;
  const found = Object.entries({ tokens, audit, key }).find(([, construct]) => {
    const resource = construct.node.defaultChild;
    return resource instanceof CfnElement && text.includes(stacks.platform.getLogicalId(resource));
  });
  if (found !== undefined) return `${found[0]}${text.includes('/index/') ? '/index' : ''}`;
  return text.includes('Logs') ? 'own log group' : text;
}

/** Every permission of a function's role, as `action resource [via dynamodb] […]` lines. */
function permissionsOf(description: string): string[] {
  const roleId = authorizerFunction(description).Role['Fn::GetAtt'][0];
  const policies = resources(template, 'AWS::IAM::Policy', policySchema, {
    Roles: [{ Ref: roleId }],
  });
  const role = z
    .object({ Properties: z.record(z.string(), z.unknown()) })
    .parse(template.findResources('AWS::IAM::Role')[roleId]);
  expect(Object.keys(role.Properties).sort()).toEqual(['AssumeRolePolicyDocument', 'Description']);
  return permissionLines(
    policies.flatMap((policy) => policy.properties.PolicyDocument.Statement),
    shortName,
  );
}

describe('consumer authorizer functions', () => {
  it.each([REST_DESCRIPTION, HTTP_DESCRIPTION])(
    '%s: exactly GetItem and the usage UpdateItem on the token table, the key via DynamoDB',
    (description) => {
      expect(permissionsOf(description)).toEqual(
        [
          'logs:CreateLogStream own log group',
          'logs:PutLogEvents own log group',
          'xray:PutTraceSegments *',
          'xray:PutTelemetryRecords *',
          'dynamodb:GetItem tokens',
          'dynamodb:UpdateItem tokens usage attributes only',
          'kms:Decrypt key via dynamodb',
          'kms:Encrypt key via dynamodb',
          'kms:GenerateDataKey key via dynamodb',
        ].sort(),
      );
    },
  );

  it.each([REST_DESCRIPTION, HTTP_DESCRIPTION])(
    '%s: ROUTE_SCOPES is the declared catalog, the token table is the platform’s',
    (description) => {
      const variables = authorizerFunction(description).Environment.Variables;
      expect(variables['ROUTE_SCOPES']).toBe(JSON.stringify(CONSUMER_CATALOG));
      expect(variables).toMatchObject({ TOKEN_PREFIX: 'sk_', LOCAL_CACHE_TTL_SECONDS: '0' });
      expect(JSON.stringify(variables['TOKENS_TABLE_NAME'])).toContain('Fn::ImportValue');
    },
  );
});

describe('RestApiTokenAuthorizer', () => {
  it('is a TOKEN authorizer with the header validation regex and the given cache TTL', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: '^[Bb]earer +sk_[0-9A-Za-z]{49} *$',
      AuthorizerResultTtlInSeconds: 60,
    });
  });

  it('puts every protected method, and only those, behind it', () => {
    const methods = resources(
      template,
      'AWS::ApiGateway::Method',
      z.object({
        HttpMethod: z.string(),
        AuthorizationType: z.string(),
        AuthorizerId: z.unknown(),
      }),
    );
    expect(methods.map((m) => m.properties.HttpMethod).sort()).toEqual(
      CONSUMER_CATALOG.map((r) => r.method).sort(),
    );
    for (const { properties } of methods) expect(properties.AuthorizationType).toBe('CUSTOM');
  });

  it('caches answers for 5 minutes by default', () => {
    const app = unbundledApp();
    const tables = new TokenTables(new Stack(app, 'Platform'), 'Tables', { retain: false });
    const stack = new Stack(app, 'Defaults');
    const api = new RestApi(stack, 'Api', { cloudWatchRole: false });
    new RestApiTokenAuthorizer(stack, 'Tokens', { tables, registry: TEST_REGISTRY }).protect(
      api.root,
      'GET',
      new MockIntegration(),
      { scopes: [] },
    );
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      AuthorizerResultTtlInSeconds: 300,
    });
  });
});

describe('HttpApiTokenAuthorizer', () => {
  it('is a REQUEST authorizer: payload 2.0, simple responses, header and route key as cache key', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 30,
    });
  });

  it('adds one route per catalog entry, each behind it, with the catalog’s route key', () => {
    const routes = resources(
      template,
      'AWS::ApiGatewayV2::Route',
      z.object({ RouteKey: z.string(), AuthorizationType: z.string() }),
    );
    expect(routes.map((r) => r.properties.RouteKey).sort()).toEqual(
      CONSUMER_CATALOG.map(routeKey).sort(),
    );
    for (const { properties } of routes) expect(properties.AuthorizationType).toBe('CUSTOM');
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing in the platform and the consumer stacks', () => {
    expect(nagFindings(appWithNag(), (app) => consumerApp(app).consumer)).toEqual([]);
  });
});

/** An app whose functions are not bundled: constructs only, for the refusals. */
function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}
