import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { findTokens } from '../../shared/token/format';
import { appWithNag, nagFindings } from './nag';
import { resources } from './template';

const paymentsCi = {
  id: 'PaymentsCi',
  name: 'payments-ci',
  owner: 'team-payments',
  scopes: ['orders:read'],
};
const serviceTokens = [paymentsCi];
const stack = new ServiceTokensStack(new App(), 'Test', { serviceTokens });
const template = Template.fromStack(stack);
const policySchema = z.object({ PolicyDocument: z.object({ Statement: z.array(z.unknown()) }) });

describe('rotated service tokens', () => {
  it('start as {} and hand the spec to the rotation Lambda: no token is ever in CDK output', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: '{}',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('PaymentsCiKey'), 'Arn'] },
    });
    const [fn] = resources(
      template,
      'AWS::Lambda::Function',
      z.object({ Environment: z.object({ Variables: z.object({ TOKEN_SPECS: z.unknown() }) }) }),
      { Description: 'Rotates service tokens held in Secrets Manager' },
    );
    const specs = JSON.stringify(fn?.properties.Environment.Variables.TOKEN_SPECS);
    expect(specs).toContain('PaymentsCiSecret');
    expect(specs).toContain(
      JSON.stringify(
        '"name":"payments-ci","owner":"team-payments","scopes":["orders:read"],"lifetimeDays":104',
      ).slice(1, -1),
    );
    expect(findTokens(JSON.stringify(template.toJSON()))).toEqual([]);
  });

  it('let every role use KMS keys only through DynamoDB, Secrets Manager or SNS', () => {
    const statements = resources(template, 'AWS::IAM::Policy', policySchema).flatMap(
      (p) => p.properties.PolicyDocument.Statement,
    );
    const kms = statements.filter((s) => JSON.stringify(s).includes('"kms:'));
    expect(kms.length).toBeGreaterThanOrEqual(3);
    for (const statement of kms) {
      expect(JSON.stringify(statement)).toMatch(/kms:ViaService.*(dynamodb|secretsmanager|sns)\./);
    }
  });

  it("rotate on their owner's rotation policy (90 days by default) and at once on creation", () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(90 days)' },
      RotateImmediatelyOnUpdate: true,
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('RotationFunction'), 'Arn'] },
    });
  });

  it("follow an owner's policy, or the token's own rotateAfter; lifetimes outlast them", () => {
    const custom = Template.fromStack(
      new ServiceTokensStack(new App(), 'Policy', {
        rotationPolicy: { owners: { 'team-payments': { rotateAfterDays: 30 } } },
        serviceTokens: [
          paymentsCi,
          { ...paymentsCi, id: 'Own', name: 'own', rotateAfter: Duration.days(7) },
        ],
      }),
    );
    const schedules = resources(
      custom,
      'AWS::SecretsManager::RotationSchedule',
      z.object({ RotationRules: z.object({ ScheduleExpression: z.string() }) }),
    ).map((r) => r.properties.RotationRules.ScheduleExpression);
    expect(schedules.sort()).toEqual(['rate(30 days)', 'rate(7 days)']);
    const specs = JSON.stringify(custom.toJSON());
    // 30 + 7 days of grace + a week is under the 90-day default lifetime, which stays.
    expect(specs).toContain(
      JSON.stringify(
        '"name":"payments-ci","owner":"team-payments","scopes":["orders:read"],"lifetimeDays":90',
      ).slice(1, -1),
    );
  });

  it('let Secrets Manager invoke the rotation function only for this secret and account', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { Ref: Match.stringLikeRegexp('PaymentsCiSecret') },
    });
  });

  it('give the rotation function exactly the grants it needs', () => {
    const [fn] = resources(
      template,
      'AWS::Lambda::Function',
      z.object({ Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }) }),
      { Description: 'Rotates service tokens held in Secrets Manager' },
    );
    const [policy] = resources(template, 'AWS::IAM::Policy', policySchema, {
      Roles: [{ Ref: fn?.properties.Role['Fn::GetAtt'][0] }],
    });
    const actions = (policy?.properties.PolicyDocument.Statement ?? []).map(
      (s) => z.object({ Action: z.union([z.string(), z.array(z.string())]) }).parse(s).Action,
    );
    expect(actions).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      'dynamodb:PutItem',
      [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:ListSecretVersionIds',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
    ]);
    // Query: the id index and the secret index (finishSecret's sweep), never the table or `*`.
    const query = (policy?.properties.PolicyDocument.Statement ?? []).find((s) =>
      JSON.stringify(s).includes('"dynamodb:Query"'),
    );
    const queried = JSON.stringify(z.object({ Resource: z.unknown() }).parse(query).Resource);
    expect(queried.match(/\/index\/[A-Za-z]+/g)).toEqual(['/index/ByTokenId', '/index/BySecret']);
  });

  it('configure the grace period on the rotation function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Rotates service tokens held in Secrets Manager',
      Environment: { Variables: Match.objectLike({ GRACE_PERIOD_DAYS: '7' }) },
    });
  });

  it('refuse a lifetime that would expire tokens before their rotation', () => {
    expect(
      () =>
        new ServiceTokensStack(new App(), 'Short', {
          serviceTokens: [
            {
              ...paymentsCi,
              id: 'Short',
              rotateAfter: Duration.days(60),
              lifetime: Duration.days(60),
            },
          ],
        }),
    ).toThrow(/must exceed rotateAfter plus the grace period/);
  });

  it('refuse, at synth, scopes outside the scope grammar, naming each', () => {
    expect(
      () =>
        new ServiceTokensStack(new App(), 'BadScope', {
          serviceTokens: [{ ...paymentsCi, scopes: ['orders:read', 'orders:read admin', 'A', ''] }],
        }),
    ).toThrow(
      'RotatedServiceToken BadScope/Default/PaymentsCi: invalid scope "orders:read admin", "A", ""',
    );
  });

  it.each([
    [{ owner: 'Payments Team' }, 'owner must be 1–64 lowercase letters'],
    [{ name: 'ci\nsecond line' }, 'name must be 1–100 letters'],
    [{ scopes: [] }, 'scopes must name at least one scope'],
  ])('refuse, at synth, a spec the API could not name: %j', (change, message) => {
    expect(
      () =>
        new ServiceTokensStack(new App(), 'BadLabel', {
          serviceTokens: [{ ...paymentsCi, ...change }],
        }),
    ).toThrow(message);
  });

  it('pass cdk-nag AwsSolutions', () => {
    const findings = nagFindings(
      appWithNag(),
      (app) => new ServiceTokensStack(app, 'Nag', { serviceTokens }),
    );
    expect(findings).toEqual([]);
  });
});
