import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MANAGEMENT_ROUTES, PUBLIC_ROUTES } from '../../shared/api/routes';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { resources } from './template';

const stack = new ServiceTokensStack(new App(), 'Test');
const template = Template.fromStack(stack);
const methodSchema = z.object({ AuthorizationType: z.string(), HttpMethod: z.string() });
const functionSchema = z.object({
  Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }),
});
const policySchema = z.object({ PolicyDocument: z.object({ Statement: z.array(z.unknown()) }) });
const CATALOG = MANAGEMENT_ROUTES;

describe('token API', () => {
  it('puts a TOKEN authorizer with a 300 s cache and a token-shaped validation regex in front', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
      IdentityValidationExpression: '^[Bb]earer +sk_[0-9A-Za-z]{49} *$',
    });
  });

  it('builds one method per catalog route, each behind the authorizer', () => {
    const methods = resources(template, 'AWS::ApiGateway::Method', methodSchema).map(
      (m) => m.properties,
    );
    const secured = methods.filter((m) => m.AuthorizationType === 'CUSTOM');
    expect(secured.map((m) => m.HttpMethod).sort()).toEqual(CATALOG.map((r) => r.method).sort());
    // The open methods: the health probe, the bootstrap exchange (which checks its token) and
    // the API's own OpenAPI document, and the leak intake's two routes (which check their
    // signatures).
    expect(methods.filter((m) => m.AuthorizationType === 'NONE')).toHaveLength(5);
  });

  it('throttles the routes with no authorizer (bootstrap exchange, OpenAPI document) to 5 requests/s', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ResourcePath: '/~1tokens~1exchange',
          HttpMethod: 'POST',
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        }),
        Match.objectLike({
          ResourcePath: '/~1openapi.json',
          HttpMethod: 'GET',
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        }),
      ]),
    });
  });

  it('hands the authorizer the same catalog the API was built from', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Validates sk_ service tokens for API Gateway',
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          ROUTE_SCOPES: JSON.stringify(CATALOG),
          TOKEN_PREFIX: 'sk_',
          LOCAL_CACHE_TTL_SECONDS: '0',
        }),
      },
    });
  });

  it('lets the authorizer read one item and update only usage attributes', () => {
    const [authorizer] = resources(template, 'AWS::Lambda::Function', functionSchema, {
      Description: 'Validates sk_ service tokens for API Gateway',
    });
    const roleId = authorizer?.properties.Role['Fn::GetAtt'][0];
    const policies = resources(template, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: roleId }],
    });
    expect(policies).toHaveLength(1);
    expect(policies[0]?.properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      expect.objectContaining({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] }),
      expect.objectContaining({ Action: 'dynamodb:GetItem', Effect: 'Allow' }),
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Condition: {
          'ForAllValues:StringEquals': {
            'dynamodb:Attributes': ['tokenHash', 'lastUsedAt', 'useCount', 'policyDueAt'],
          },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      }),
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] }),
    ]);
  });

  it('serves every management route from the management Lambda (proxy integration)', () => {
    const [fn] = resources(template, 'AWS::Lambda::Function', functionSchema, {
      Description: 'Serves the service-token management API',
    });
    expect(fn).toBeDefined();
    const integrated = resources(
      template,
      'AWS::ApiGateway::Method',
      z.object({
        HttpMethod: z.string(),
        AuthorizationType: z.string(),
        Integration: z.object({ Type: z.string(), Uri: z.unknown().optional() }),
      }),
    ).filter(
      (m) =>
        m.properties.Integration.Type === 'AWS_PROXY' &&
        // The leak intake's routes have a function of their own (test/infra/leak-intake.test.ts).
        !JSON.stringify(m.properties.Integration.Uri).includes('LeaksFunction'),
    );
    expect(integrated.map((m) => m.properties.HttpMethod).sort()).toEqual(
      [...MANAGEMENT_ROUTES, ...PUBLIC_ROUTES].map((r) => r.method).sort(),
    );
    const open = integrated.filter((m) => m.properties.AuthorizationType !== 'CUSTOM');
    expect(open.map((m) => m.properties.AuthorizationType)).toEqual(
      PUBLIC_ROUTES.map(() => 'NONE'),
    );
  });

  it('gives the management Lambda exactly its grants, incl. flushing only its own stage cache', () => {
    const [fn] = resources(template, 'AWS::Lambda::Function', functionSchema, {
      Description: 'Serves the service-token management API',
    });
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: fn?.properties.Role['Fn::GetAtt'][0] }],
    });
    const statements = z
      .array(
        z.object({ Action: z.union([z.string(), z.array(z.string())]), Resource: z.unknown() }),
      )
      .parse(policy?.properties.PolicyDocument.Statement);
    expect(statements.map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'kms:Decrypt',
      // The API registry: one Query of its table (known scopes, GET /apis), key decrypt above.
      'dynamodb:Query',
      'apigateway:DELETE',
    ]);
    expect(JSON.stringify(statements.at(-2)?.Resource)).toMatch(/"TablesRegistry[A-Z0-9]+"/);
    const indexes = JSON.stringify(statements[3]?.Resource).match(/\/index\/[A-Za-z]+/g);
    expect(indexes).toEqual([
      '/index/ByTokenId',
      '/index/ByOwner',
      '/index/ByExpiry',
      '/index/ByRotationRequest',
    ]);
    const flush = JSON.stringify(statements.at(-1)?.Resource);
    expect(flush).toContain('/stages/v1/cache/authorizers');
    expect(flush).toMatch(/"Ref":"Api[A-Za-z0-9]+"/);
  });

  it('answers 401, 403, a retryable 503 and a 404 for unknown routes with JSON messages', () => {
    for (const [type, status, message, headers] of [
      [
        'UNAUTHORIZED',
        '401',
        'Missing or malformed service token',
        { 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" },
      ],
      ['ACCESS_DENIED', '403', 'may not call this route', undefined],
      [
        'AUTHORIZER_FAILURE',
        '503',
        'retry shortly',
        { 'gatewayresponse.header.Retry-After': "'1'" },
      ],
      [
        'AUTHORIZER_CONFIGURATION_ERROR',
        '503',
        'retry shortly',
        { 'gatewayresponse.header.Retry-After': "'1'" },
      ],
      ['MISSING_AUTHENTICATION_TOKEN', '404', 'No such route', undefined],
    ] as const) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: status,
        ResponseTemplates: {
          'application/json': Match.stringLikeRegexp(`"message":"[^"]*${message}`),
        },
        ResponseParameters: headers ?? Match.absent(),
      });
    }
  });

  it('logs access and traces the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({
        Format: Match.stringLikeRegexp(
          '"requestId":"\\$context.requestId".*"authorizerRequestId":"\\$context.authorizer.requestId"',
        ),
      }),
    });
  });
});
