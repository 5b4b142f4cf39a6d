/**
 * CDK assertions for the leak intake and log masking: the two routes without the authorizer,
 * throttled like the exchange; the function's exact grants; its configuration; and the token
 * masking data protection policy on every log group of the platform and of a consumer stack.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildExampleApp } from '../../examples/consumer/app';
import { RestApiTokenAuthorizer } from '../../infra/consumer';
import { TOKEN_DATA_IDENTIFIER } from '../../infra/log-masking';
import { PUBLIC_ROUTE_BURST, PUBLIC_ROUTE_RATE } from '../../infra/rest-api';
import { ServiceTokens } from '../../infra/service-tokens';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { logMaskingPattern } from '../../shared/leaks/masking';
import { permissionLines, resources } from './template';

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

function resourceName(resource: unknown): string {
  const text = JSON.stringify(resource);
  const rules: [RegExp, string][] = [
    [/^\{"Fn::GetAtt":\["TablesTokens[A-Z0-9]+","Arn"\]\}$/, 'tokens table'],
    [/^\{"Fn::GetAtt":\["TablesAudit[A-Z0-9]+","Arn"\]\}$/, 'audit table'],
    [/^\{"Fn::GetAtt":\["TablesKey[A-Z0-9]+","Arn"\]\}$/, 'table key'],
    [/^\{"Ref":"AlertsTopic[A-Z0-9]+"\}$/, 'alert topic'],
    [/^\{"Fn::GetAtt":\["AlertsKey[A-Z0-9]+","Arn"\]\}$/, 'alert key'],
    [/^\{"Ref":"LeaksWebhookSecret[A-Z0-9]+"\}$/, 'webhook secret'],
    [/^\{"Fn::GetAtt":\["LeaksSecretKey[A-Z0-9]+","Arn"\]\}$/, 'secret key'],
    [/LeaksFunctionLogs/, 'own log group'],
    [/^"\*"$/, '*'],
  ];
  return rules.find(([pattern]) => pattern.test(text))?.[1] ?? text;
}

const condition = (resource: z.infer<typeof statementSchema>) =>
  JSON.stringify(resource.Condition ?? {}).match(/"kms:ViaService":\{?[^}]*?(\w+)\./)?.[1];

describe('the leak intake', () => {
  it('serves POST /leaks/github and POST /leaks without the authorizer, from its own function', () => {
    for (const path of ['github', undefined]) {
      const resourceIds = Object.entries(template.findResources('AWS::ApiGateway::Resource'))
        .filter(([, r]) => JSON.stringify(r).includes(`"PathPart":"${path ?? 'leaks'}"`))
        .map(([id]) => id);
      expect(resourceIds).toHaveLength(1);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        AuthorizationType: 'NONE',
        ResourceId: { Ref: resourceIds[0] },
        Integration: Match.objectLike({
          Uri: Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([
                { 'Fn::GetAtt': [Match.stringLikeRegexp('^LeaksFunction'), 'Arn'] },
              ]),
            ]),
          }),
        }),
      });
    }
  });

  it('is throttled per method like the bootstrap exchange', () => {
    const [stage] = resources(
      template,
      'AWS::ApiGateway::Stage',
      z.object({
        MethodSettings: z.array(
          z.object({
            ResourcePath: z.string(),
            HttpMethod: z.string(),
            ThrottlingRateLimit: z.optional(z.number()),
            ThrottlingBurstLimit: z.optional(z.number()),
          }),
        ),
      }),
    );
    const throttles = Object.fromEntries(
      (stage?.properties.MethodSettings ?? []).map((m) => [
        `${m.HttpMethod} ${m.ResourcePath}`,
        [m.ThrottlingRateLimit, m.ThrottlingBurstLimit],
      ]),
    );
    const limit = [PUBLIC_ROUTE_RATE, PUBLIC_ROUTE_BURST];
    expect(throttles['POST /~1leaks~1github']).toEqual(limit);
    expect(throttles['POST /~1leaks']).toEqual(limit);
    expect(throttles['POST /~1tokens~1exchange']).toEqual(limit);
  });

  it('may read and change a token item by hash, append audit events, alert and read its secret: nothing more', () => {
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema).filter((p) =>
      JSON.stringify(p.properties.Roles).includes('LeaksFunctionRole'),
    );
    const statements = policy?.properties.PolicyDocument.Statement ?? [];
    const lines = permissionLines(statements, resourceName).map((l) =>
      l.replace(' via dynamodb', ''),
    );
    expect(lines).toEqual([
      'dynamodb:GetItem tokens table',
      'dynamodb:PutItem audit table',
      'dynamodb:UpdateItem tokens table',
      'kms:Decrypt alert key',
      'kms:Decrypt secret key',
      'kms:Decrypt table key',
      'kms:Encrypt table key',
      'kms:GenerateDataKey alert key',
      'kms:GenerateDataKey table key',
      'logs:CreateLogStream own log group',
      'logs:PutLogEvents own log group',
      'secretsmanager:GetSecretValue webhook secret',
      'sns:Publish alert topic',
      'xray:PutTelemetryRecords *',
      'xray:PutTraceSegments *',
    ]);
    // Every key only through its service: no direct KMS use.
    const keyStatements = statements.filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('kms:')),
    );
    expect(keyStatements.map(condition).sort()).toEqual(['dynamodb', 'secretsmanager', 'sns']);
  });

  it("runs the deployment policy (revoke by default) against GitHub's published keys", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Takes leaked-token reports from secret scanners',
      Environment: {
        Variables: Match.objectLike({
          LEAK_POLICY: 'revoke',
          GITHUB_KEYS_URL: 'https://api.github.com/meta/public_keys/secret_scanning',
          TOKEN_PREFIX: 'sk_',
          WEBHOOK_SECRET_ID: { Ref: Match.stringLikeRegexp('^LeaksWebhookSecret') },
        }),
      },
    });
  });

  it('refuses a keys URL that is not https at synth', () => {
    const stack = new Stack(new App(), 'PlainKeys');
    expect(
      () =>
        new ServiceTokens(stack, 'Tokens', {
          leakResponse: { githubKeysUrl: 'http://keys.example/secret_scanning' },
        }),
    ).toThrow(/githubKeysUrl must be https/);
  });

  it('takes notify and another keys URL', () => {
    const stack = new Stack(new App(), 'Notify');
    new ServiceTokens(stack, 'Tokens', {
      leakResponse: { policy: 'notify', githubKeysUrl: 'https://keys.example/secret_scanning' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LEAK_POLICY: 'notify',
          GITHUB_KEYS_URL: 'https://keys.example/secret_scanning',
        }),
      },
    });
  });
});

const logGroupSchema = z.object({
  DataProtectionPolicy: z.optional(
    z.object({
      Configuration: z.object({
        CustomDataIdentifier: z.array(z.object({ Name: z.string(), Regex: z.string() })),
      }),
      Statement: z.array(z.object({ DataIdentifier: z.array(z.string()), Operation: z.unknown() })),
    }),
  ),
});

function expectEveryLogGroupMasked(t: Template, prefix: string) {
  const groups = resources(t, 'AWS::Logs::LogGroup', logGroupSchema);
  expect(groups.length).toBeGreaterThan(0);
  for (const group of groups) {
    const policy = group.properties.DataProtectionPolicy;
    expect(policy, group.id).toBeDefined();
    expect(policy?.Configuration.CustomDataIdentifier).toEqual([
      { Name: TOKEN_DATA_IDENTIFIER, Regex: logMaskingPattern(prefix) },
    ]);
    expect(
      policy?.Statement.map((s) =>
        Object.keys(z.record(z.string(), z.unknown()).parse(s.Operation)),
      ),
    ).toEqual([['Audit'], ['Deidentify']]);
  }
  return groups.length;
}

describe('tokens masked in every log group', () => {
  it('has the masking policy on every log group of the platform stack', () => {
    // The functions' own log groups and the API's access logs.
    expect(expectEveryLogGroupMasked(template, 'sk_')).toBeGreaterThanOrEqual(10);
  });

  it("masks the deployment's own prefix", () => {
    const stack = new Stack(new App(), 'Prefixed');
    new ServiceTokens(stack, 'Tokens', { tokenPrefix: 'acme_' });
    expectEveryLogGroupMasked(Template.fromStack(stack), 'acme_');
  });

  it("masks the log group of a consumer stack's authorizer function", () => {
    const app = new App();
    const platform = new ServiceTokens(new Stack(app, 'Platform'), 'Tokens');
    const consumer = new Stack(app, 'Orders');
    const api = new RestApi(consumer, 'Api', { deploy: true });
    const authorizer = new RestApiTokenAuthorizer(consumer, 'Auth', {
      tables: platform.tables,
      registry: platform.registry,
    });
    authorizer.protect(api.root.addResource('orders'), 'GET', new MockIntegration(), {
      scopes: ['orders:read'],
    });
    expect(expectEveryLogGroupMasked(Template.fromStack(consumer), 'sk_')).toBe(1);
  });

  it("masks every log group of the example consumer's stack (backend, access logs, authorizers)", () => {
    const example = buildExampleApp(new App());
    expect(
      expectEveryLogGroupMasked(Template.fromStack(example.orders), 'sk_'),
    ).toBeGreaterThanOrEqual(5);
  });
});
