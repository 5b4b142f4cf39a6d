import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ServiceFunction } from '../../infra/service-function';

const stack = new Stack(new App(), 'Fn');
new ServiceFunction(stack, 'Echo', {
  entry: 'test/infra/fixtures/echo-handler.ts',
  environment: { TOKENS_TABLE_NAME: 'tokens' },
  timeout: Duration.seconds(3),
});
const template = Template.fromStack(stack);

describe('ServiceFunction', () => {
  it('runs Node 24 on arm64 with active tracing, JSON logs and source maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 3,
      MemorySize: 512,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: { NODE_OPTIONS: '--enable-source-maps', TOKENS_TABLE_NAME: 'tokens' },
      },
    });
  });

  it('logs into its own log group with a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup'))[0];
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
  });

  it('gets a role with no managed policies that may write only its own logs', () => {
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p: { Properties: { PolicyDocument: { Statement: unknown[] } } }) =>
        p.Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EchoLogs/), 'Arn'] },
      }),
      expect.objectContaining({
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      }),
    ]);
  });
});
