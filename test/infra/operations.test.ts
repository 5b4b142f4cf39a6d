import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceTokensStack } from '../../infra/service-tokens-stack';
import { ROTATION_STEPS } from '../../shared/rotation/rotator';
import { METRICS_NAMESPACE } from '../../shared/observability';
import { resources } from './template';

const template = Template.fromStack(new ServiceTokensStack(new App(), 'Test'));
const topicRef = () => {
  const ids = Object.keys(template.findResources('AWS::SNS::Topic'));
  expect(ids).toHaveLength(1);
  return { Ref: ids[0] };
};
const alarmSchema = z.object({
  AlarmDescription: z.string(),
  AlarmActions: z.array(z.unknown()),
  Threshold: z.number(),
  EvaluationPeriods: z.number(),
  ComparisonOperator: z.string(),
  TreatMissingData: z.string(),
});

describe('alarms', () => {
  it('all notify the alert topic, say what to do, and stay quiet without data', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm', alarmSchema);
    expect(alarms.length).toBeGreaterThanOrEqual(11);
    for (const { properties } of alarms) {
      expect(properties.AlarmActions).toEqual([topicRef()]);
      expect(properties.AlarmDescription.length).toBeGreaterThan(40);
      expect(properties.TreatMissingData).toBe('notBreaching');
      expect(properties.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    }
  });

  it('page on any authorizer store error (the authorizer failed closed)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ServiceTokens',
      MetricName: 'Decisions',
      Dimensions: Match.arrayWith([
        { Name: 'decision', Value: 'store-error' },
        { Name: 'service', Value: 'token-authorizer' },
      ]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
    });
  });

  it('page when the authorizer p99 duration stays at 1 s or more for 15 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 1000,
      EvaluationPeriods: 3,
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('ApiAuthorizerFunction') } },
      ],
    });
  });

  it('page on token-table throttling and on any failed rotation step', () => {
    const withMath = resources(
      template,
      'AWS::CloudWatch::Alarm',
      alarmSchema.extend({ Metrics: z.array(z.unknown()).optional() }),
    ).filter((a) => (a.properties.Metrics ?? []).length > 0);
    const text = withMath.map((a) => JSON.stringify(a.properties.Metrics));
    expect(
      text.some((t) => t.includes('ThrottledRequests') && t.includes('TransactWriteItems')),
    ).toBe(true);
    const rotation = text.find((t) => t.includes('RotationStepFailed'));
    for (const step of ROTATION_STEPS) expect(rotation).toContain(`"Value":"${step}"`);
    for (const alarm of withMath) expect(alarm.properties.Threshold).toBe(1);
  });

  it('page on errors of every function', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter(
      (id) => !id.startsWith('LogRetention'),
    );
    for (const fn of functions) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
        Threshold: 1,
      });
    }
    // Authorizer, management, rotation, expiry alerts, cleanup, relay, flusher, registry, leaks.
    expect(functions.length).toBe(9);
  });
});

describe('dashboard', () => {
  it('shows decisions, latency, throttles, rotations, expiry thresholds, alerts, cleanup and errors', () => {
    const [dashboard] = resources(
      template,
      'AWS::CloudWatch::Dashboard',
      z.object({ DashboardBody: z.unknown() }),
    );
    const body = JSON.stringify(dashboard?.properties.DashboardBody);
    for (const title of [
      'Authorizer decisions',
      'Authorizer duration (p50, p99)',
      'Token table throttles',
      'Rotation step failures',
      'Rotations started and succeeded',
      'Tokens within each expiry threshold',
      'Expiry alerts sent',
      'Cleanup',
      'Revocation flushes',
      'Lambda errors',
    ]) {
      expect(body).toContain(title);
    }
    // The metrics as the handlers emit them: name, service and the bounded dimension.
    for (const metric of [
      '"RotationStarted","service","token-rotation","step","createSecret"',
      '"StagesFlushed","service","token-stage-flusher"',
      '"FlushEventsCoalesced","service","token-stage-flusher"',
      '"RotationSucceeded","service","token-rotation","step","finishSecret"',
      '"TokensWithinThreshold","service","token-expiry-alerts","severity","critical"',
      '"AlertsSent","service","token-expiry-alerts","severity","low"',
      '"TokensExpired","service","token-cleanup"',
    ]) {
      expect(body.replaceAll('\\"', '"')).toContain(`"${METRICS_NAMESPACE}",${metric}`);
    }
    for (const reason of [
      'allowed',
      'malformed',
      'unknown',
      'revoked',
      'expired',
      'past-grace',
      'invalid-scope',
      'store-error',
    ]) {
      expect(body).toContain(`\\"label\\":\\"${reason}\\"`);
    }
  });
});
