import { Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app';
import { ServiceFunction } from '../../infra/service-function';
import { appWithNag, nagFindings } from './nag';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing in the deployed app', () => {
    const app = appWithNag();
    expect(nagFindings(app, (a) => buildApp(a).stack)).toEqual([]);
  });

  it('finds nothing in a stack with a ServiceFunction (its one acknowledgment is reasoned)', () => {
    const findings = nagFindings(appWithNag(), (app) => {
      const stack = new Stack(app, 'Fn');
      new ServiceFunction(stack, 'Echo', { entry: 'test/infra/fixtures/echo-handler.ts' });
      return stack;
    });
    expect(findings).toEqual([]);
  });

  it('does report a violation (the check can fail)', () => {
    const findings = nagFindings(appWithNag(), (app) => {
      const stack = new Stack(app, 'Bad');
      new Table(stack, 'NoBackups', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
      return stack;
    });
    expect(findings).toContain('AwsSolutions-DDB3 Bad/NoBackups/Resource');
  });
});
