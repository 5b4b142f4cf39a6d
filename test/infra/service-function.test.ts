import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
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

  it('leaves source maps off when told (the authorizer: they cost its cold start)', () => {
    const lean = new Stack(new App(), 'Lean');
    new ServiceFunction(lean, 'Echo', {
      entry: 'test/infra/fixtures/echo-handler.ts',
      environment: { TOKENS_TABLE_NAME: 'tokens' },
      sourceMaps: false,
    });
    Template.fromStack(lean).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TOKENS_TABLE_NAME: 'tokens' } },
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
    template.resourceCountIs('AWS::IAM::Policy', 1);
    // Arrays match exactly: these two statements and nothing else.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EchoLogs'), 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
            Resource: '*',
          },
        ],
      },
    });
  });
});
